#!/usr/bin/python3
"""Unit tests of the RPC bench's parsing, verification and tables
(bench/rpc/). No server is started: outputs of real runs are pasted here.

    /usr/bin/python3 tests/bench/rpc_bench_test.py [--stubs_dir DIR]
"""

import pathlib
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]
                       / "bench" / "rpc"))
import bench_checks  # noqa: E402
import bench_loads  # noqa: E402
import bench_report  # noqa: E402
import bench_servers  # noqa: E402
import proto_stubs  # noqa: E402
import rpc_bench  # noqa: E402

# h2load 1.52 against an echo server whose gRPC receive limit (4 MiB) is
# below the 1 Mi request: every call failed with grpc-status 8 inside an
# HTTP 200, and h2load counts all ten as succeeded.
H2LOAD_ALL_FAILED = """\
starting benchmark...
spawning thread #0: 1 total client(s). 10 total requests
Application protocol: h2c

finished in 53.66ms, 186.36 req/s, 40.04KB/s
requests: 10 total, 10 started, 10 done, 10 succeeded, 0 failed, 0 errored, \
0 timeout
status codes: 10 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 2.15KB (2200) total, 1.25KB (1280) headers (space savings -10.34%), \
0B (0) data
                     min         max         mean         sd        +/- sd
time for request:    3.96ms     49.61ms     26.53ms     16.29ms    60.00%
"""

H2LOAD_OK = """\
finished in 1.07s, 37.42 req/s, 149.75MB/s
requests: 40 total, 40 started, 40 done, 40 succeeded, 0 failed, 0 errored, \
0 timeout
status codes: 40 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 160.09MB (167868106) total, 195B (195) headers (space savings \
93.98%), 160.00MB (167773040) data
"""

NGHTTP_VERBOSE = b"""\
[  0.015] recv (stream_id=13) :status: 200
[  0.015] recv (stream_id=13) content-type: application/grpc
[  0.015] recv (stream_id=13) grpc-accept-encoding: identity, deflate, gzip
[  0.015] recv HEADERS frame <length=78, flags=0x04, stream_id=13>
[  0.015] recv DATA frame <length=86, flags=0x00, stream_id=13>
[  0.015] recv (stream_id=13) grpc-status: 8
[  0.015] recv (stream_id=13) grpc-message: Received message larger than max
[  0.015] recv HEADERS frame <length=15, flags=0x05, stream_id=13>
"""

PB = None


class H2LoadTest(unittest.TestCase):

    def test_parses_summary(self):
        r = bench_loads.parse_h2load(H2LOAD_OK)
        self.assertAlmostEqual(r.elapsed_s, 1.07)
        self.assertAlmostEqual(r.rps, 37.42)
        self.assertEqual((r.requests, r.done, r.succeeded, r.failed,
                          r.errored, r.timeout, r.status_2xx),
                         (40, 40, 40, 0, 0, 0, 40))
        self.assertEqual(r.data_bytes, 167773040)
        self.assertEqual(bench_loads.parse_h2load(
            H2LOAD_ALL_FAILED).elapsed_s, 0.05366)

    def test_rejects_other_output(self):
        with self.assertRaises(ValueError):
            bench_loads.parse_h2load("connect: Connection refused\n")

    def test_http_200_with_grpc_error_is_a_failure(self):
        r = bench_loads.parse_h2load(H2LOAD_ALL_FAILED)
        problems = bench_checks.h2load_problems(r, 10, 4194326)
        self.assertEqual(len(problems), 1)
        self.assertIn("not gRPC-OK", problems[0])

    def test_one_short_response_is_a_failure(self):
        r = bench_loads.parse_h2load(H2LOAD_OK)
        self.assertEqual(bench_checks.h2load_problems(r, 40, 4194327 - 1),
                         [])
        self.assertTrue(bench_checks.h2load_problems(r, 40, 4194327))
        self.assertTrue(bench_checks.h2load_problems(r, 41, 4194326))

    def test_argv(self):
        argv = bench_loads.h2load_argv("h2load", "127.0.0.1:5", "f.grpc", 8,
                                       total=100, log_file="l.log")
        self.assertEqual(argv[-1], "http://127.0.0.1:5"
                         "/activation.v1.ActivationService/Compute")
        for arg in ("-c1", "-m8", "-n100", "--log-file=l.log",
                    "content-type: application/grpc", "te: trailers"):
            self.assertIn(arg, argv)
        self.assertIn("-D1500ms", bench_loads.h2load_argv(
            "h2load", "t", "f", 1, duration_s=1.5))
        with self.assertRaises(ValueError):
            bench_loads.h2load_argv("h2load", "t", "f", 1)
        unix = bench_loads.h2load_argv("h2load", "127.0.0.1:5", "f", 1,
                                       total=9, unix_socket="/tmp/s.sock")
        self.assertIn("--base-uri=unix:/tmp/s.sock", unix)
        self.assertEqual(unix[-1], "http://localhost"
                         "/activation.v1.ActivationService/Compute")

    def test_latency_log_and_percentile(self):
        with tempfile.NamedTemporaryFile("w", suffix=".log") as log:
            log.write("1795999305544740\t200\t5446\n"
                      "1795999305550223\t-1\t9\n"
                      "1795999305554364\t200\t40\n"
                      "1795999305554364\t200\t300\n")
            log.flush()
            latencies = bench_loads.read_latency_log(log.name)
        self.assertEqual(latencies, [5446, 40, 300])
        self.assertEqual(bench_loads.percentile(latencies, 50), 300)
        self.assertEqual(bench_loads.percentile(latencies, 0), 40)
        self.assertEqual(bench_loads.percentile(latencies, 100), 5446)
        self.assertEqual(bench_loads.percentile(list(range(1, 101)), 99), 99)


class FramesTest(unittest.TestCase):

    def test_request_frame_round_trip(self):
        request, x = bench_loads.make_request(PB, 1024)
        frame = bench_loads.grpc_frame(request.SerializeToString())
        self.assertEqual(frame[0], 0)
        self.assertEqual(int.from_bytes(frame[1:5], "big"), len(frame) - 5)
        (message,) = bench_loads.split_grpc_frames(frame)
        parsed = PB.ComputeRequest.FromString(message)
        self.assertEqual(parsed.function, "sigmoid")
        self.assertEqual(parsed.mode, PB.MODE_FORWARD)
        self.assertEqual(parsed.input.raw.data, x.tobytes())
        self.assertTrue(np.all(np.abs(x) <= 8))

    def test_malformed_bodies(self):
        frame = bench_loads.grpc_frame(b"abc")
        for body in (frame[:4], frame[:-1], b"\x01" + frame[1:]):
            with self.assertRaises(ValueError):
                bench_loads.split_grpc_frames(body)
        self.assertEqual(bench_loads.split_grpc_frames(frame + frame),
                         [b"abc", b"abc"])


class ChecksTest(unittest.TestCase):

    def response_body(self, y):
        response = PB.ComputeResponse(output=PB.Tensor(raw=PB.RawArray(
            dtype=PB.DTYPE_FLOAT32, data=y.astype("<f4").tobytes())))
        return bench_loads.grpc_frame(response.SerializeToString())

    def test_trailers(self):
        fields = bench_checks.parse_nghttp_headers(NGHTTP_VERBOSE)
        self.assertEqual(fields[":status"], "200")
        self.assertEqual(fields["grpc-status"], "8")
        self.assertEqual(fields["grpc-message"],
                         "Received message larger than max")

    def test_echo_must_be_bit_exact(self):
        _, x = bench_loads.make_request(PB, 64)
        bench_checks.check_response(PB, self.response_body(x),
                                    bench_checks.ECHO, x)
        y = x.copy()
        y[5] = np.nextafter(y[5], np.float32(100))
        with self.assertRaisesRegex(bench_checks.CheckFailed,
                                    r"1 wrong values, first x\[5\]"):
            bench_checks.check_response(PB, self.response_body(y),
                                        bench_checks.ECHO, x)

    def test_sigmoid_within_tolerance(self):
        _, x = bench_loads.make_request(PB, 4096)
        y = (1 / (1 + np.exp(-x))).astype(np.float32)  # what numpy serves
        bench_checks.check_response(PB, self.response_body(y),
                                    bench_checks.SIGMOID, x)
        for wrong in (x, np.tanh(x), y[:-1]):
            with self.assertRaises(bench_checks.CheckFailed):
                bench_checks.check_response(PB, self.response_body(wrong),
                                            bench_checks.SIGMOID, x)

    def test_actload_report(self):
        clean = {"ok": 10, "errors": 0, "wrong": 0}
        self.assertEqual(bench_checks.actload_problems(0, clean, ""), [])
        self.assertTrue(bench_checks.actload_problems(
            1, dict(clean, errors=2), ""))
        self.assertTrue(bench_checks.actload_problems(
            1, dict(clean, wrong=1), ""))
        self.assertTrue(bench_checks.actload_problems(0, dict(clean, ok=0),
                                                      ""))
        self.assertTrue(bench_checks.actload_problems(-11, None, "crash"))


class ProcTest(unittest.TestCase):

    def test_stat_with_awkward_command_name(self):
        # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
        # majflt cmajflt utime stime ...
        line = ("42 (a) b (c)) S 1 42 42 0 -1 4194560 1234 0 7 0 150 25 0 0 "
                "20 0 9 0 100 2000000 500 rest\n")
        self.assertEqual(bench_servers.parse_stat(line), (1234, 7, 150, 25))

    def test_context_switches(self):
        status = ("Name:\tactserver\nvoluntary_ctxt_switches:\t120\n"
                  "nonvoluntary_ctxt_switches:\t7\n")
        self.assertEqual(bench_servers.parse_context_switches(status), 127)

    def test_status(self):
        status = "Name:\tactserver\nVmHWM:\t  155000 kB\nVmRSS:\t   99000 kB\n"
        self.assertEqual(bench_servers.parse_status_kib(status, "VmRSS"),
                         99000)
        self.assertEqual(bench_servers.parse_status_kib(status, "VmHWM"),
                         155000)
        self.assertEqual(bench_servers.parse_status_kib(status, "VmSwap"), 0)

    def test_allocators(self):
        self.assertEqual(bench_servers.ALLOCATORS["default"].env(), {})
        self.assertIn("mmap_threshold=33554432", bench_servers.ALLOCATORS[
            "glibc-tuned"].env()["GLIBC_TUNABLES"])
        missing = bench_servers.Allocator(
            "none", pathlib.Path("/nonexistent/libnone.so"), package="none")
        with self.assertRaisesRegex(FileNotFoundError, "package none"):
            missing.env()


def record(server, values, load, round_index, rps, **extra):
    return dict(server=server, kind=server.split("[")[0], values=values,
                load=load, round=round_index, rps=rps, problems=[], **extra)


class ReportTest(unittest.TestCase):

    def test_sizes(self):
        self.assertEqual([rpc_bench.parse_size(s) for s in
                          ("16", "1Ki", "64Ki", "1Mi")],
                         [16, 1024, 65536, 1 << 20])
        self.assertEqual([bench_report.size_label(v) for v in
                          (16, 1024, 65536, 1 << 20, 1536)],
                         ["16", "1 Ki", "64 Ki", "1 Mi", "1536"])

    def test_ratio_of_medians_and_range_of_round_ratios(self):
        t = bench_report.THROUGHPUT
        records = [record("actserver", 16, t, 1, 30000),
                   record("actserver", 16, t, 2, 36000),
                   record("actserver", 16, t, 3, 33000),
                   record("floor", 16, t, 1, 40000),
                   record("floor", 16, t, 2, 36000),
                   record("floor", 16, t, 3, 30000)]
        results = bench_report.Results(records)
        self.assertEqual(results.ratio("actserver", "floor", 16, t),
                         "0.92× (0.75–1.10)")
        self.assertEqual(results.cell("floor", 16, t, "rps",
                                      bench_report.fmt_rate),
                         "36.0 k (30.0–40.0 k)")

    def test_failed_runs_are_listed_not_counted(self):
        t = bench_report.THROUGHPUT
        bad = record("floor", 16, t, 2, 99999)
        bad["problems"] = ["0 bytes of DATA"]
        records = [record("floor", 16, t, 1, 100), bad,
                   record("actserver", 16, t, 1, 90)]
        meta = {"date": "d", "command": "c", "commit": "x", "machine": "m",
                "rounds": 2, "duration_s": 1, "warmup_s": 0.5,
                "load_min": 1, "load_max": 2, "uptime_before": "u",
                "uptime_after": "u"}
        text = bench_report.render(meta, records, {})
        self.assertIn("| 16 | 100 | 90.0 | 0.90× |", text)
        self.assertIn("floor (tcp) 16 h2load round 2: 0 bytes of DATA", text)
        self.assertNotIn("100 k", text)

    def test_unix_rows_beside_tcp(self):
        t, one = bench_report.THROUGHPUT, bench_report.H2LOAD_ONE
        records = [record("floor", 1 << 20, t, 1, 100, transport="tcp"),
                   record("floor", 1 << 20, t, 1, 180, transport="unix"),
                   record("floor", 1 << 20, one, 1, 80, transport="tcp",
                          p50_us=9000),
                   record("floor", 1 << 20, one, 1, 120, transport="unix",
                          p50_us=6000)]
        table = bench_report.unix_table(bench_report.Results(records),
                                        bench_report.Results(records, "unix"))
        self.assertIn("| floor | 1 Mi | 100 | 180 | 1.80× | 9.00 ms | "
                      "6.00 ms | 0.67× | – |", table)

    def test_allocator_rows(self):
        t = bench_report.THROUGHPUT
        records = [record("floor", 1 << 20, t, 1, 50, minor_faults=1000.0),
                   record("floor[jemalloc]", 1 << 20, t, 1, 100,
                          minor_faults=2.0)]
        table = bench_report.allocator_table(bench_report.Results(records),
                                             {"floor[jemalloc]": 40.0})
        self.assertIn("| floor | jemalloc | 1 Mi | 100 | 2.00× |", table)
        self.assertIn("| 2.00 |", table)
        self.assertTrue(table.rstrip().endswith("| 40.0 |"))


if __name__ == "__main__":
    stubs = None
    if "--stubs_dir" in sys.argv:
        i = sys.argv.index("--stubs_dir")
        stubs = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    PB, _ = proto_stubs.load(stubs or tempfile.mkdtemp(prefix="rb_stubs_"))
    unittest.main()
