"""The package's plan, as a contract: imports run one way (no circle, lazy imports included), and configs.py, the
bottom layer that every other one reads, imports nothing of aegan's."""

import ast
import pathlib

SRC = pathlib.Path(__file__).resolve().parents[1] / 'src'


def import_graph(src: pathlib.Path = SRC) -> dict[str, set[str]]:
    """{module: the aegan modules it imports anywhere in its file}. `from pkg import sub` is an edge to `pkg.sub`,
    not to `pkg` (Python imports the parent package of any submodule, which is not a circle)."""
    files = {}
    for path in src.rglob('*.py'):
        parts = list(path.relative_to(src).with_suffix('').parts)
        is_package = parts[-1] == '__init__'
        files['.'.join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph = {}
    for module, (path, is_package) in files.items():
        package = module if is_package else module.rpartition('.')[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ''
                if node.level:
                    up = package.split('.')[: len(package.split('.')) - node.level + 1]
                    base = '.'.join(up + ([base] if base else []))
                subs = [f'{base}.{alias.name}' for alias in node.names]
                names = [n for n in subs if n in files] + ([base] if any(n not in files for n in subs) else [])
            else:
                continue
            for name in names:
                while name and name not in files:
                    name = name.rpartition('.')[0]
                if name and name != module:
                    edges.add(name)
        graph[module] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_circle():
    graph = import_graph()
    assert len(graph) > 50 and 'aegan.evaluators.registry' in graph['aegan.eval']
    assert circles(graph) == []


def test_configs_imports_nothing_of_aegan():
    assert import_graph()['aegan.configs'] == set()


def test_every_registered_method_has_its_networks_in_configs():
    """configs.NETWORKS (what a config gives an optimizer) and methods.METHODS (what trains) name the same methods
    with the same networks: a method in only one of them would get no optimizers, or none of its settings."""
    from aegan import configs, methods

    assert {name: tuple(module.NETS) for name, module in methods.METHODS.items()} == configs.NETWORKS


def test_a_circle_is_found():
    """The checker itself: a lazy import inside a function closes a circle as surely as one at the top."""
    graph = {'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}
    assert circles(graph) == [['a', 'b', 'c']]
