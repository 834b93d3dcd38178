"""What the binaries (`aegan.train`, `aegan.eval`, `aegan.study`) do with bad input: one line that says what is wrong
and how to fix it, exit status 1, no traceback. Internal errors keep their tracebacks.

The contract: a ValueError or FileNotFoundError raised by aegan's own code is a message for the user (every such
`raise` names the bad value and the fix); the same types raised inside a library (JAX, NumPy, Orbax) are bugs of
ours or theirs and are shown with their traceback.
"""

import contextlib
import importlib.util
import os
import re
import sys

from absl import flags

from aegan import config_schema

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
USER_ERRORS = (ValueError, FileNotFoundError)


def raised_by_aegan(error: BaseException) -> bool:
    """Whether the innermost frame of `error`'s traceback is in the aegan package."""
    tb = error.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep)


@contextlib.contextmanager
def user_errors(binary: str):
    """Turns aegan's own ValueError / FileNotFoundError into `sys.exit('<binary>: <message>')`."""
    try:
        yield
    except USER_ERRORS as error:
        if not (isinstance(error, config_schema.ConfigError) or raised_by_aegan(error)):
            raise
        sys.exit(f'{binary}: {error}')


def _config_file_arg(argv) -> str | None:
    for i, arg in enumerate(argv):
        if arg.startswith('--config='):
            return arg.split('=', 1)[1]
        if arg == '--config' and i + 1 < len(argv):
            return argv[i + 1]
    return None


def load_config_file(spec: str):
    """`get_config()` of `path` or `get_config(arg)` of `path:arg`, as ml_collections' config flags read them."""
    path, _, arg = spec.partition(':')
    if not os.path.isfile(path):
        raise FileNotFoundError(f'--config={spec}: no such file (the configs are experiments/<method>_<dataset>.py).')
    module_spec = importlib.util.spec_from_file_location('aegan_user_config', path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
        return module.get_config(arg) if arg else module.get_config()
    except SyntaxError as error:  # the file, line and message are all the user needs
        raise config_schema.ConfigError(
            f'--config={spec}: {error.filename}, line {error.lineno}: {error.msg}: fix the file and rerun.'
        ) from None
    except Exception as error:
        if raised_by_aegan(error):  # aegan's own checks (e.g. an unknown protocol) say what is wrong themselves
            raise
        line = _line_in(error, path)
        raise config_schema.ConfigError(
            f'--config={spec}: {path}{line}: {type(error).__name__}: {error}: fix the file and rerun.'
        ) from None


def _line_in(error: BaseException, path: str) -> str:
    """', line N' of the innermost frame of `error`'s traceback that runs `path`, or ''."""
    line, tb = '', error.__traceback__
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == os.path.abspath(path):
            line = f', line {tb.tb_lineno}'
        tb = tb.tb_next
    return line


def parse_config_flags(argv, binary: str, flag_values=flags.FLAGS):
    """Parses `argv` into `flag_values`; an override that names no key of the `--config` file, or a value of the
    wrong type, exits with the schema's message instead of a traceback. Returns the remaining arguments."""
    overrides = [a[len('--config.') :].split('=', 1)[0] for a in argv[1:] if a.startswith('--config.')]
    spec = _config_file_arg(argv[1:])
    if spec is not None:
        with user_errors(binary):
            config_schema.check_override_keys(load_config_file(spec), overrides)
    try:
        return flag_values(argv)
    except flags.Error as error:
        match = re.search(r'--config\.([\w.]+)=', str(error))
        key = config_schema.SCHEMA.get(config_schema.schema_path(match.group(1))) if match else None
        hint = f' ({match.group(1)} must be {key.allowed()}: {key.meaning})' if key else ''
        sys.exit(f'{binary}: {error}{hint}')


def config_flags_parser(binary: str):
    """`app.run(main, flags_parser=config_flags_parser('aegan.train'))`: `parse_config_flags` on the global flags."""
    return lambda argv: parse_config_flags(argv, binary)
