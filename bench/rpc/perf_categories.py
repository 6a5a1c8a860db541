#!/usr/bin/env python3
"""perf report (cpu-clock, -F 2000) -> server us per call by category. usage: perf_categories.py DATA CALLS"""
import re, subprocess, sys, collections
data, calls = sys.argv[1], int(sys.argv[2])
out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,sym", "--stdio", "-g", "none",
                      "-F", "overhead,sample,dso,sym"], capture_output=True, text=True).stdout
cats = collections.Counter(); total = 0
def cat(dso, sym):
    if dso == "[kernel.kallsyms]":
        if re.search(r"copy_to_iter|copy_from_iter|check_object_size|virt_addr_valid|copy_user|skb_datagram_iter|skb_copy_datagram|check_heap_object", sym): return "kernel: copy to/from the socket"
        if re.search(r"finish_task_switch|spin_unlock_irq|futex|schedule|wake|ep_|epoll|select_task|enqueue|dequeue|update_curr|pick_next|switch|hrtimer", sym): return "kernel: scheduler, futex, wake-ups"
        if re.search(r"tcp|ip_|nf_|inet|net_|softirq|sk_|skb|dev_|napi|netif|sock|loopback|kfree_skb|__alloc_skb|validate_xmit|conntrack|raw_local|rcu", sym): return "kernel: network stack"
        if re.search(r"page|fault|folio|kmem|alloc|free|mm_|vma|lru|memcg|zap|pte|pmd", sym): return "kernel: page faults, memory"
        return "kernel: other"
    if "activations::" in sym or "hwy::" in sym: return "compute (activations)"
    if re.search(r"memmove|memcpy|memset", sym): return "memcpy/memset (user)"
    if re.search(r"malloc|free|_int_|unlink_chunk|consolidate|cfree|realloc|calloc|tcache", sym): return "malloc/free (user)"
    if "libtbb" in dso: return "TBB"
    if re.search(r"libgrpc|libgpr|libprotobuf|libabsl|libupb|libaddress_sorting|libre2|libssl|libcrypto|libcares", dso) or re.match(r"grpc|google::protobuf|absl", sym) or "grpc_" in sym: return "gRPC + protobuf + absl (user)"
    if "actserver::" in sym or "activation::" in sym: return "server/ wire code (ours, user)"
    return "other user (libc, vdso, ld.so)"
for line in out.splitlines():
    m = re.match(r"\s*([\d.]+)%\s+(\d+)\s+(\S+)\s+\[[.k]\]\s+(.*)$", line)
    if not m: continue
    n = int(m.group(2)); total += n; cats[cat(m.group(3), m.group(4))] += n
print(f"{data}: {total} samples, {calls} calls, {total*500/calls:.0f} us on-CPU per call")
for k, v in cats.most_common():
    print(f"| {k} | {v*500/calls:.0f} ({100*v/total:.0f} %) |")
