"""The RPC bench's tables (Markdown) from its run records.

A record is one measured run: {"round", "values", "load", "server", "kind",
"allocator", "transport" ("tcp" or "unix"), "rps", "p50_us", and for h2load
throughput runs the server's "cpu_us", "sys_us", "context_switches",
"minor_faults", "major_faults" (per request), "peak_rss_mib", "rss_after_mib"}. Figures are medians over the
rounds with the range (min-max) beside them; a ratio is the ratio of the
medians, with the range of the ratios of runs in the same round.
"""

import statistics

THROUGHPUT = "h2load"         # h2load, streams_for(values) in flight
ACTLOAD = "actload"           # actload, the same calls in flight
H2LOAD_ONE = "h2load-p50"     # h2load, one call in flight
ACTLOAD_ONE = "actload-p50"   # actload, one call in flight
LOADS = (THROUGHPUT, ACTLOAD, H2LOAD_ONE, ACTLOAD_ONE)


def size_label(values):
    for unit, name in ((1 << 20, "Mi"), (1 << 10, "Ki")):
        if values >= unit and values % unit == 0:
            return f"{values // unit} {name}"
    return str(values)


def fmt_rate(x):
    if x >= 10000:
        return f"{x / 1000:.1f} k"
    if x >= 1000:
        return f"{x / 1000:.2f} k"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def fmt_latency(us):
    if us >= 10000:
        return f"{us / 1000:.0f} ms"
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def fmt_plain(x, digits=1):
    return f"{x:.{digits}f}"


def fmt_mib(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def _with_range(values, fmt):
    if not values:
        return "–"
    median = fmt(statistics.median(values))
    if len(values) == 1:
        return median
    lo, hi = fmt(min(values)), fmt(max(values))
    if lo == hi:
        return median
    lo_number, _, lo_unit = lo.partition(" ")
    if lo_unit and hi.endswith(" " + lo_unit):
        lo = lo_number  # "30.0–40.0 k", one unit for the range
    return f"{median} ({lo}–{hi})"


def _ratio_text(a_by_round, b_by_round):
    """'0.91× (0.89–0.93)': the ratio of the medians, then the range of the
    ratios of runs in the same round; '–' if either side is missing."""
    if not a_by_round or not b_by_round:
        return "–"
    ma = statistics.median(a_by_round.values())
    mb = statistics.median(b_by_round.values())
    if not mb:
        return "–"
    rounds = [a_by_round[k] / b_by_round[k] for k in a_by_round
              if b_by_round.get(k)]
    text = f"{ma / mb:.2f}×"
    if len(rounds) > 1:
        text += f" ({min(rounds):.2f}–{max(rounds):.2f})"
    return text


class Results:
    """Verified run records over one transport, by (server, values, load)."""

    def __init__(self, records, transport="tcp"):
        records = [r for r in records
                   if r.get("transport", "tcp") == transport]
        self.records = [r for r in records if not r.get("problems")]
        self.failed = [r for r in records if r.get("problems")]
        self.sizes = sorted({r["values"] for r in records})
        self.servers = list(dict.fromkeys(r["server"] for r in records))

    def values(self, server, size, load, key):
        return [r[key] for r in self.records
                if r["server"] == server and r["values"] == size
                and r["load"] == load and r.get(key) is not None]

    def by_round(self, server, size, load, key):
        return {r["round"]: r[key] for r in self.records
                if r["server"] == server and r["values"] == size
                and r["load"] == load and r.get(key) is not None}

    def cell(self, server, size, load, key, fmt):
        return _with_range(self.values(server, size, load, key), fmt)

    def ratio(self, a, b, size, load, key="rps", load_b=None):
        """Server a over server b (or load over load_b), as _ratio_text."""
        return _ratio_text(self.by_round(a, size, load, key),
                           self.by_round(b, size, load_b or load, key))


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:"
                            for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def throughput_table(results, load):
    """The issue's table: req/s of floor, actserver, peer and the ratios."""
    have = [s for s in ("floor", "actserver", "peer") if s in results.servers]
    header = ["values per request"] + [f"{s} req/s" for s in have]
    if {"actserver", "floor"} <= set(have):
        header.append("actserver / floor")
    if {"actserver", "peer"} <= set(have):
        header.append("actserver / peer")
    rows = []
    for size in results.sizes:
        row = [size_label(size)]
        row += [results.cell(s, size, load, "rps", fmt_rate) for s in have]
        if {"actserver", "floor"} <= set(have):
            row.append(results.ratio("actserver", "floor", size, load))
        if {"actserver", "peer"} <= set(have):
            row.append(results.ratio("actserver", "peer", size, load))
        rows.append(row)
    return _table(header, rows)


def actload_vs_h2load_table(results):
    have = [s for s in ("floor", "actserver", "peer") if s in results.servers]
    rows = []
    for size in results.sizes:
        rows.append([size_label(size)] + [
            results.ratio(s, s, size, ACTLOAD, load_b=THROUGHPUT)
            for s in have])
    return _table(["values per request"] + [f"{s}: actload / h2load"
                                            for s in have], rows)


def latency_table(results):
    """p50 with one call in flight, both clients."""
    have = [s for s in ("floor", "actserver", "peer") if s in results.servers]
    header = ["values per request"]
    for load in (H2LOAD_ONE, ACTLOAD_ONE):
        header += [f"{s} ({load.split('-')[0]})" for s in have]
    if {"actserver", "floor"} <= set(have):
        header.append("actserver / floor (h2load)")
    rows = []
    for size in results.sizes:
        row = [size_label(size)]
        for load in (H2LOAD_ONE, ACTLOAD_ONE):
            row += [results.cell(s, size, load, "p50_us", fmt_latency)
                    for s in have]
        if {"actserver", "floor"} <= set(have):
            row.append(results.ratio("actserver", "floor", size, H2LOAD_ONE,
                                     key="p50_us"))
        rows.append(row)
    return _table(header, rows)


def resources_table(results, servers, idle_rss):
    """Per request cost on the server side, from the h2load throughput runs."""
    rows = []
    for server in servers:
        for size in results.sizes:
            if not results.values(server, size, THROUGHPUT, "rps"):
                continue
            rows.append([
                server, size_label(size),
                results.cell(server, size, THROUGHPUT, "rps", fmt_rate),
                results.cell(server, size, THROUGHPUT, "cpu_us",
                             lambda x: fmt_plain(x, 0)),
                results.cell(server, size, THROUGHPUT, "sys_us",
                             lambda x: fmt_plain(x, 0)),
                results.cell(server, size, THROUGHPUT, "context_switches",
                             lambda x: fmt_plain(x, 2 if x < 10 else 0)),
                results.cell(server, size, THROUGHPUT, "minor_faults",
                             lambda x: fmt_plain(x, 2 if x < 10 else 0)),
                results.cell(server, size, THROUGHPUT, "major_faults",
                             lambda x: fmt_plain(x, 2)),
                results.cell(server, size, THROUGHPUT, "peak_rss_mib",
                             fmt_mib),
                results.cell(server, size, THROUGHPUT, "rss_after_mib",
                             fmt_mib),
            ])
        if server in idle_rss:
            rows.append([server, "idle after the run", "", "", "", "", "",
                         "", "", fmt_mib(idle_rss[server])])
    return _table(["server", "values", "req/s", "CPU µs/req",
                   "of it sys µs/req", "context switches/req",
                   "minor faults/req", "major faults/req", "peak RSS MiB",
                   "RSS after MiB"], rows)


def allocator_table(results, idle_rss):
    """Each C++ server under each allocator, beside itself as built."""
    rows = []
    variants = [s for s in results.servers if not s.startswith("peer")]
    kinds = list(dict.fromkeys(s.split("[")[0] for s in variants))
    for kind in kinds:
        for size in results.sizes:
            for server in [v for v in variants if v.split("[")[0] == kind]:
                allocator = (server[len(kind) + 1:-1] if "[" in server
                             else "default")
                rows.append([
                    kind, allocator, size_label(size),
                    results.cell(server, size, THROUGHPUT, "rps", fmt_rate),
                    results.ratio(server, kind, size, THROUGHPUT),
                    results.cell(server, size, H2LOAD_ONE, "p50_us",
                                 fmt_latency),
                    results.cell(server, size, THROUGHPUT, "cpu_us",
                                 lambda x: fmt_plain(x, 0)),
                    results.cell(server, size, THROUGHPUT, "minor_faults",
                                 lambda x: fmt_plain(x, 2 if x < 10 else 0)),
                    results.cell(server, size, THROUGHPUT, "peak_rss_mib",
                                 fmt_mib),
                    results.cell(server, size, THROUGHPUT, "rss_after_mib",
                                 fmt_mib),
                    fmt_mib(idle_rss[server]) if server in idle_rss else "–",
                ])
    return _table(["server", "allocator", "values", "req/s",
                   "× default", "p50, 1 in flight", "CPU µs/req",
                   "minor faults/req", "peak RSS MiB", "RSS after run MiB",
                   "RSS idle at end MiB"], rows)


def unix_table(tcp, unix):
    """Each server over its Unix socket beside itself over TCP."""
    rows = []
    for server in unix.servers:
        for size in unix.sizes:
            row = [server, size_label(size)]
            for load, key, fmt in ((THROUGHPUT, "rps", fmt_rate),
                                   (H2LOAD_ONE, "p50_us", fmt_latency)):
                row += [tcp.cell(server, size, load, key, fmt),
                        unix.cell(server, size, load, key, fmt),
                        _ratio_text(unix.by_round(server, size, load, key),
                                    tcp.by_round(server, size, load, key))]
            row.append(_ratio_text(
                unix.by_round(server, size, ACTLOAD, "rps"),
                tcp.by_round(server, size, ACTLOAD, "rps")))
            rows.append(row)
    return _table(["server", "values", "TCP req/s", "Unix req/s",
                   "Unix / TCP", "TCP p50, 1 in flight", "Unix p50",
                   "Unix / TCP", "Unix / TCP req/s (actload)"], rows)


def render(meta, records, idle_rss):
    """The whole report as Markdown."""
    results = Results(records)
    unix = Results(records, "unix")
    loads = {r["load"] for r in results.records}
    out = [f"# RPC path bench, {meta['date']}", "",
           f"`{meta['command']}`", "",
           f"commit {meta['commit']}; {meta['machine']}; "
           f"{meta['rounds']} interleaved rounds of {meta['duration_s']:g} s "
           f"per run (after a {meta['warmup_s']:g} s warm-up); load average "
           f"(1 min) {meta['load_min']:.1f}–{meta['load_max']:.1f} during the "
           f"run; `uptime` before: {meta['uptime_before']}; after: "
           f"{meta['uptime_after']}", ""]
    base = [s for s in results.servers if "[" not in s]
    if THROUGHPUT in loads:
        out += ["## Throughput, h2load (1 connection; 64 calls in flight up "
                "to 1 Ki values, 8 above)", "", throughput_table(results,
                                                                THROUGHPUT),
                ""]
    if ACTLOAD in loads:
        out += ["## Throughput, actload (same calls in flight)", "",
                throughput_table(results, ACTLOAD), ""]
    if {ACTLOAD, THROUGHPUT} <= loads:
        out += ["## actload / h2load (req/s, same server, same round)", "",
                actload_vs_h2load_table(results), ""]
    if {H2LOAD_ONE, ACTLOAD_ONE} & loads:
        out += ["## p50 latency, one call in flight", "",
                latency_table(results), ""]
    if THROUGHPUT in loads:
        out += ["## Server cost per request (h2load throughput runs; /proc "
                "before/after each run)", "",
                resources_table(results, base, idle_rss), ""]
    if unix.records:
        out += ["## Unix domain socket beside TCP (same server process, "
                "same round; h2load unless stated)", "",
                unix_table(results, unix), ""]
    if any("[" in s for s in results.servers):
        out += ["## Allocators (h2load; \"× default\" = req/s over the same "
                "server as built, same round)", "",
                allocator_table(results, idle_rss), ""]
    failed = results.failed + unix.failed
    if failed:
        out += ["## Runs that failed verification (left out above)", ""]
        out += [f"- {r['server']} ({r.get('transport', 'tcp')}) "
                f"{size_label(r['values'])} {r['load']} round {r['round']}: "
                f"{'; '.join(r['problems'])}" for r in failed]
        out.append("")
    return "\n".join(out)
