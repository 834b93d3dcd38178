"""The benchmark tables, built from the JSON the benchmarks write (benchmarks/results/*.json): every row with its
figures in benchmarks/README.md, and the rows that compare aegan with another tool, their ratios alone, in README.md.

    python benchmarks/readme_table.py            # print the full table
    python benchmarks/readme_table.py --write    # put both into their files between the benchmarks markers

tests/test_readme.py fails when either file does not hold exactly these tables, so a figure edited by hand, or left
from an older run, is caught.
"""

import argparse
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, '..', 'README.md')
BENCHMARKS_README = os.path.join(HERE, 'README.md')
BEGIN, END = '<!-- benchmarks:begin (python benchmarks/readme_table.py --write) -->', '<!-- benchmarks:end -->'


def load(name: str, results: str) -> dict:
    with open(os.path.join(results, f'{name}.json')) as f:
        return json.load(f)


def rows_of(record: dict, what: str | None = None) -> list[dict]:
    return [r for r in record['rows'] if what is None or r.get('what') == what]


def pair(rows, ours, theirs, fmt) -> str:
    return ' / '.join(f'{fmt.format(r[ours])} vs {fmt.format(r[theirs])}' for r in rows)


def joined(rows, fmt) -> str:
    return ' / '.join(fmt.format(**r) for r in rows)


def ratios(rows) -> str:
    """'**1.01x / 1.02x**', and where the rows kept each process's or each round's ratio (vs_pytorch.py --processes,
    metrics_speed.py's Inception rounds), their range."""
    text = '**' + ' / '.join(f'{r["ratio"]:.2f}x' for r in rows) + '**'
    for key, one, many in (('ratio_runs', 'process', 'processes'), ('ratio_rounds', 'round', 'interleaved rounds')):
        if all(key in r for r in rows):
            spans = ' / '.join(span(r[key]) for r in rows)
            text += f' (medians of {len(rows[0][key])} {many}; each {one} {spans})'
    return text


def span(values) -> str:
    """'0.83-0.94x', or '1.10x' where every value rounds to the same."""
    low, high = f'{min(values):.2f}', f'{max(values):.2f}'
    return f'{low}x' if low == high else f'{low}-{high}x'


def table(results: str = os.path.join(HERE, 'results')) -> str:
    """The CPU table, then the GPU one where benchmarks/results/gpu/ holds `bash benchmarks/gpu.sh`'s records."""
    text = cpu_table(results)
    if os.path.isdir(os.path.join(results, 'gpu')):
        text += '\n\n' + gpu_table(os.path.join(results, 'gpu'))
    return text


def sources(records) -> str:
    """'script date (machine; versions)' for each record, each distinct one once."""
    described = [
        f'{os.path.basename(next(word for word in r["command"].split() if word.endswith(".py")))} {r["date"]} '
        f'({r["machine"]}; ' + ', '.join(f'{k} {v}' for k, v in r['versions'].items()) + ')'
        for r in records
    ]
    return ', '.join(dict.fromkeys(described))


def without_out(command: str) -> str:
    """A record's command without its `--out PATH`: the figures' source, not where they were written."""
    return re.sub(r' --out \S+', '', command)


def cpu_table(results: str) -> str:
    names = ('metrics_speed', 'vs_pytorch', 'startup', 'compile_parts')
    speed, step, startup, parts = (load(n, results) for n in names)
    exists = os.path.exists(os.path.join(results, 'vs_pytorch_cpu_devices.json'))
    devices = [load('vs_pytorch_cpu_devices', results)] if exists else []  # the JAX_NUM_CPU_DEVICES run, if any
    prdc = [load('prdc_speed', results)] if os.path.exists(os.path.join(results, 'prdc_speed.json')) else []
    ms = [r for r in rows_of(speed, 'ms_ssim') if r.get('alternative', '').startswith('tf.image')]
    small = rows_of(speed, 'ms_ssim_small')
    inc = [r for r in rows_of(speed, 'inception') if 'ratio' in r]
    sizes = ' / '.join(f'{r["size"]}x{r["size"]}x3' for r in ms)
    small_rates = ' / '.join(f'{r["ours"]:,.0f}' for r in small)
    nets = ' / '.join(f'`{os.path.basename(r["config"])[:-3]}`' for r in step['rows'])
    lines = [
        '| what | aegan vs the alternative, same run | command |',
        '|---|---|---|',
        f'| MS-SSIM {sizes}, {ms[0]["pairs"]} pairs | {pair(ms, "ours", "theirs", "{:,.0f}")} pairs/s '
        f'({ms[0]["alternative"]}): {ratios(ms)} | `{speed["command"]}` |',
        f'| MS-SSIM {" / ".join(str(r["size"]) for r in small)} px (`shrink_filter`; TF refuses < 176 px) | '
        f'{small_rates} pairs/s, aegan alone | `{speed["command"]}` |',
        f'| Inception forward, 32 px uint8 -> 299, batch {joined(inc, "{batch}")} | '
        f'{pair(inc, "ours", "theirs", "{:,.1f}")} images/s ({inc[0]["alternative"]}, same resize): {ratios(inc)} '
        f'| `{speed["command"]}` |',
        *([inception_work_row(inc, speed['command'])] if 'gflop_per_image' in inc[0] else []),
        *(prdc_row(record) for record in prdc),
        f'| α-GAN iteration, batch {step["rows"][0]["batch"]}, '
        f'{nets} nets | '
        f'{pair(step["rows"], "ours_ms", "theirs_ms", "{:,.0f}")} ms (the {step["rows"][0]["alternative"]} twin): '
        f'{ratios(step["rows"])} | `{step["command"]}` |',
        *([work_row(step)] if 'gflop_per_iteration' in step['rows'][0] else []),
        *(cpu_devices_row(record) for record in devices),
        f'| first call of that α-GAN step (compile) | '
        f'{pair(step["rows"], "first_call_ours_s", "first_call_theirs_s", "{:.1f}")} s | `{step["command"]}` |',
        *(
            f'| 2-step `aegan.train` of `{os.path.basename(r["config"])[:-3]}`, compilation cache off / cold / warm '
            f'| {r["off_s"]:.1f} / {r["cold_s"]:.1f} / {r["warm_s"]:.1f} s wall; its logged first step '
            f'{r["first_step_off_s"]:.1f} / {r["first_step_cold_s"]:.1f} / {r["first_step_warm_s"]:.1f} s '
            f'| `{startup["command"]}` |'
            for r in startup['rows']
        ),
        *(
            f'| that first step, {r["start"]} cache: trace / lower / compile / run | {r["trace"]:.2f} / '
            f'{r["lower"]:.2f} / {r["compile"]:.2f} / {r["first_run"]:.2f} s | `{parts["command"]}` |'
            for r in parts['rows']
        ),
    ]
    return '\n'.join([*lines, '', f'Measured: {sources((speed, *prdc, step, *devices, startup, parts))}.'])


def prdc_row(record: dict) -> str:
    """Precision/recall/density/coverage against the official `prdc` package (benchmarks/prdc_speed.py)."""
    rows = record['rows']
    return (
        f'| precision / recall / density / coverage, {rows[0]["n"]:,} real and {rows[0]["n"]:,} samples, '
        f'd = {joined(rows, "{dim:,}")} | {pair(rows, "ours_s", "theirs_s", "{:.1f}")} s ({rows[0]["alternative"]}, '
        f'largest difference in the values {max(r["max_abs_difference"] for r in rows):.0e}): {ratios(rows)} '
        f'| `{record["command"]}` |'
    )


def work_row(step: dict) -> str:
    """The α-GAN iteration's work and the rates both sides sustain, beside the machine's matmul rate (vs_pytorch.py)."""
    rows = step['rows']
    return (
        "| work of that iteration (XLA's count) and the rate each side sustains | "
        f'{joined(rows, "{gflop_per_iteration:.1f}")} '
        f'GFLOP: {pair(rows, "ours_gflops", "theirs_gflops", "{:.0f}")} GFLOPS; 1.2x PyTorch would need '
        + ' / '.join(f'{1.2 * r["theirs_gflops"]:.0f}' for r in rows)
        + f' GFLOPS, where one 2048x2048 matmul runs at {rows[0]["gemm_gflops_ours"]:.0f} (XLA) / '
        f'{rows[0]["gemm_gflops_theirs"]:.0f} (PyTorch) | `{step["command"]}` |'
    )


def inception_work_row(rows: list[dict], command: str) -> str:
    """The Inception forward's work and the rates both sides sustain, beside the matmul rate (metrics_speed.py)."""
    return (
        f"| work of that forward (XLA's count) and the rate each side sustains | {rows[0]['gflop_per_image']:.1f} "
        f'GFLOP an image: {pair(rows, "ours_gflops", "theirs_gflops", "{:.0f}")} GFLOPS; 1.2x torchvision would '
        'need ' + ' / '.join(f'{1.2 * r["theirs_gflops"]:.0f}' for r in rows) + ' GFLOPS, where one 2048x2048 '
        f'matmul runs at {rows[0]["gemm_gflops_ours"]:.0f} (XLA) / {rows[0]["gemm_gflops_theirs"]:.0f} (PyTorch) '
        f'| `{command}` |'
    )


def cpu_devices_row(step: dict) -> str:
    """The α-GAN comparison run with JAX_NUM_CPU_DEVICES (one JAX device per core, the batch split between them)."""
    devices = step['machine'].rsplit(' x ', 1)[1]
    return (
        f'| the same, the batch split over {devices} CPU devices (`JAX_NUM_CPU_DEVICES`, data-parallel) | '
        f'{pair(step["rows"], "ours_ms", "theirs_ms", "{:,.0f}")} ms: {ratios(step["rows"])} | `{step["command"]}` |'
    )


def gpu_table(results: str) -> str:
    """`bash benchmarks/gpu.sh`'s records: the same comparisons on one GPU, both sides on the card."""
    speed = load('metrics_speed', results)
    steps = [load(n, results) for n in ('vs_pytorch', 'vs_pytorch_batch512_matmul', 'vs_pytorch_batch512_phases')]
    ms = [r for r in rows_of(speed, 'ms_ssim') if 'ratio' in r]
    chunk = rows_of(speed, 'ms_ssim_chunk')
    small = rows_of(speed, 'ms_ssim_small')
    inc = [r for r in rows_of(speed, 'inception') if 'ratio' in r]
    command = '`bash benchmarks/gpu.sh`'
    lines = [
        '| what (one GPU) | aegan vs the alternative, same run | command |',
        '|---|---|---|',
        f'| MS-SSIM {joined(ms, "{size}x{size}x3")}, {ms[0]["pairs"]} pairs | '
        f'{pair(ms, "ours", "theirs", "{:,.0f}")} pairs/s ({ms[0]["alternative"]}; largest difference '
        f'{max(r["max_abs_difference"] for r in ms):.0e}, see below): {ratios(ms)} | {command} |',
        f'| MS-SSIM, same sizes, `pairs_per_chunk` {chunk[0]["chunk"]} | '
        f'{joined(chunk, "{ours:,.0f}")} pairs/s, aegan alone | {command} |',
        f'| MS-SSIM {joined(small, "{size}")} px (`shrink_filter`) | '
        f'{joined(small, "{ours:,.0f}")} pairs/s, aegan alone | {command} |',
        f'| Inception forward, 32 px uint8 -> 299, batch {joined(inc, "{batch}")} | '
        f'{pair(inc, "ours", "theirs", "{:,.0f}")} images/s ({inc[0]["alternative"]}, same resize, both full '
        f'float32): {ratios(inc)} | {command} |',
    ]
    for record in steps:
        for row in record['rows']:
            lines.append(
                f'| α-GAN iteration, `{os.path.basename(row["config"])[:-3]}` nets, batch {row["batch"]}, '
                f'{row["precision"]}{" (NCHW convolutions)" if row.get("compiler_options") else ""}, '
                f'{row["layers"]} layers | '
                f'{row["ours_images_per_s"]:,.0f} vs {row["theirs_images_per_s"]:,.0f} images/s '
                f'({row["ours_ms"]:.1f} vs {row["theirs_ms"]:.1f} ms; the {row["alternative"]} twin): '
                f'**{row["ratio"]:.2f}x**; first call {row["first_call_ours_s"]:.0f} vs '
                f'{row["first_call_theirs_s"]:.1f} s | `{without_out(record["command"])}` |'
            )
    return '\n'.join([*lines, '', f'Measured: {sources((speed, *steps))}.'])


def compact(full: str) -> str:
    """The rows of `full` that hold a ratio, as | what | ratio | command |: the README's first look."""
    lines = []
    for line in full.splitlines():
        if line.startswith('| what'):
            what = line.split('|')[1].strip()  # 'what', or 'what (one GPU)'
            lines += [''] * bool(lines) + [f'| {what} | aegan vs the alternative | command |', '|---|---|---|']
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')] if line.startswith('| ') else []
        ratios = re.findall(r'\*\*[^*]+\*\*', cells[1]) if len(cells) == 3 else []
        if ratios:
            lines.append(f'| {cells[0]} | {" ".join(ratios)} | {cells[2]} |')
    return '\n'.join(lines)


def write(path: str, text_of_table: str) -> None:
    with open(path) as f:
        text = f.read()
    pattern = re.compile(re.escape(BEGIN) + r'.*?' + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f'{path} has no {BEGIN} ... {END} block to fill.')
    with open(path, 'w') as f:
        f.write(pattern.sub(lambda _: f'{BEGIN}\n{text_of_table}\n{END}', text))


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--write', action='store_true', help='write the tables into benchmarks/README.md, README.md')
    if parser.parse_args().write:
        write(BENCHMARKS_README, table())
        write(README, compact(table()))
    else:
        print(table())
