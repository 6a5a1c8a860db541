// certify: the accuracy certificate of the activation library (certify.h).
//
//   certify                        float32, every one of the 2^32 inputs,
//                                  then bfloat16 and float16 (every input)
//                                  and float64 (2^21 samples); prints the
//                                  markdown tables
//   certify --write=docs/accuracy.md
//                                  ...and replaces each table's section of
//                                  that file (between its markers)
//   certify --dtype=float32 --stride=65537 --check
//                                  CI's sampled run: every 65537th bit
//                                  pattern; exit 1 if an error exceeds the
//                                  catalogue's bound
//   certify --dtype=bfloat16 --functions=celu,selu
//                                  only those functions (iterating on a
//                                  kernel)
//   certify --dtype=float32 --shards=256 --shard-dir=/work/certify-shards/all
//                                  the exhaustive float32 run in 256 pieces,
//                                  each written to its own file when done
//                                  (certify_partial.h); run the same command
//                                  with the same binary again to continue
//                                  after a stop, or in several processes at
//                                  once (a piece being run is locked); once
//                                  all are there it prints the whole run's
//                                  table
//   certify --merge=/work/certify-shards/all --write=docs/accuracy.md
//                                  the table of a sharded run's pieces (all
//                                  of them, else exit 2 naming the missing)
//   certify --merge=DIR/relu,DIR/tanh --section=float32-exhaustive
//                                  one table of runs that differ only in
//                                  --functions=NAME (one function each)
//   certify --fingerprint --dtype=float32 --functions=relu,tanh
//                                  no certificate: one line per row with a
//                                  hash of every output the kernels give
//                                  on the run's inputs (certify.h,
//                                  Fingerprint). Equal lines from two
//                                  builds on the same SIMD target: the
//                                  certificate of one holds for the other
//                                  (docs/accuracy.md); minutes, not hours
//   certify --fingerprint --chunk-hashes=old.tsv --dtype=float32 --functions=softsign
//                                  also one hash per chunk of 65536 inputs
//                                  (certify.h, FingerprintChunks) into
//                                  old.tsv, for --changed-from
//   certify --dtype=float32 --functions=softsign --changed-from=old.tsv --check
//                                  the certificate of only the chunks whose
//                                  outputs differ from those of the build
//                                  that wrote old.tsv (same flags, same SIMD
//                                  target): with the old build's exhaustive
//                                  certificate, this build's over every
//                                  input, in minutes (docs/accuracy.md)
// Flags: --dtype=all|float32|float64|bfloat16|float16, --stride=N (float32),
// --samples=N (float64, times 2), --functions=NAME[,NAME...], --threads=N,
// --no-non-default, --rows=KIND[,KIND...] (forward, derivative,
// forward_and_derivative, backward, derivative_from_y, backward_from_y;
// default all), --shard=K/N (only piece K, 0-based, of N), --shards=N,
// --shard-dir=DIR, --merge=DIR[,DIR...], --fingerprint, --chunk-hashes=FILE,
// --changed-from=FILE, --section=NAME (the markers --write
// replaces; default the dtype's name), --list-functions (the elementwise
// entries it checks, one a line), --check, --write=PATH. Exit status: 0,
// or 1 with --check when an input exceeds its bound, 2 for a bad flag, an
// unknown function, an unwritable file or an incomplete merge. Run the full
// certificate with `nice -n 19`: it keeps every core busy for hours
// (docs/accuracy.md).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "tools/certify.h"
#include "tools/certify_partial.h"
#include "tools/certify_report.h"

namespace {

using activations::DType;
namespace certify = activations::certify;
namespace fs = std::filesystem;

// "a,b,c" as {"a", "b", "c"}, empty names dropped.
std::vector<std::string> SplitList(std::string_view list) {
  std::vector<std::string> names;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (comma != 0) names.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
  }
  return names;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Names the executable running: FNV-1a, 64 bits, of its bytes, in hex. The
// pieces of one run must come from one build (certify_partial.h).
std::string BinaryId() {
  const std::string bytes = ReadFile("/proc/self/exe");
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

// Replaces the section `name` of the file at `path` (certify_report.h).
bool WriteSection(const std::string& path, const std::string& name, const std::string& body) {
  const std::string text = certify::ReplaceSection(ReadFile(path), name, body);
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

// What a finished run prints and writes; the exit status it adds up to.
struct Output {
  std::string write, section;
  bool check = false;
  std::uint64_t over = 0;

  // Prints the table of `rows`, reports the inputs over their bounds and,
  // with --write, replaces the section. False when the file is unwritable.
  bool Report(const certify::Plan& plan, const std::vector<certify::Row>& rows, double seconds,
              const std::string& command, const std::string& target) {
    const std::string table = certify::MarkdownTable(plan, rows, seconds, command, target);
    std::fputs(table.c_str(), stdout);
    std::fputs("\n", stdout);
    std::fflush(stdout);
    const std::string name(activations::DTypeName(plan.dtype));
    for (const certify::Row& r : rows) {
      over += r.over_bound;
      if (r.over_bound > 0) {
        std::fprintf(stderr, "certify: %s %s %s %s: %llu inputs over the bound %g, worst %g ULP "
                     "at x = %.9g (got %.9g, want %.9Lg)\n", name.c_str(), r.function.c_str(),
                     r.params.c_str(), r.mode.c_str(),
                     static_cast<unsigned long long>(r.over_bound), r.bound, r.max_ulp,
                     r.worst_input, r.worst_got, r.worst_want);
      }
    }
    if (!write.empty() && !WriteSection(write, section.empty() ? name : section, table)) {
      std::fprintf(stderr, "certify: cannot write %s\n", write.c_str());
      return false;
    }
    return true;
  }
};

// Every partial result in `dir`, or the error (an unreadable or foreign
// file).
absl::StatusOr<std::vector<certify::Partial>> ReadPartials(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".partial") files.push_back(e.path());
  }
  if (ec) {
    return absl::InvalidArgumentError("certify: cannot read the directory " + dir.string() +
                                      ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  std::vector<certify::Partial> pieces;
  for (const fs::path& f : files) {
    absl::StatusOr<certify::Partial> p = certify::ParsePartial(ReadFile(f));
    if (!p.ok()) {
      return absl::InvalidArgumentError(f.string() + ": " + std::string(p.status().message()));
    }
    pieces.push_back(*std::move(p));
  }
  return pieces;
}

// Runs the pieces of `plan` (the one plan.shard when `one`, else all of
// plan.shards) that `dir` has no file for and no other process is running,
// each written to its file when done. False on an error (printed).
bool RunShards(certify::Plan plan, bool one, const fs::path& dir, const std::string& command) {
  const std::string binary = BinaryId();
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::uint64_t first = one ? plan.shard : 0, last = one ? plan.shard + 1 : plan.shards;
  for (std::uint64_t k = first; k < last; ++k) {
    plan.shard = k;
    const fs::path path = dir / certify::PartialFileName(plan);
    // The lock, released by the kernel if this process dies: a piece is
    // run by one process at a time.
    const fs::path lock_path = fs::path(path).concat(".lock");
    const int lock = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (lock < 0) {
      std::fprintf(stderr, "certify: cannot create %s\n", lock_path.c_str());
      return false;
    }
    if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock);
      continue;  // another process runs it
    }
    if (fs::exists(path)) {
      absl::StatusOr<certify::Partial> done = certify::ParsePartial(ReadFile(path));
      ::close(lock);
      if (!done.ok() || !certify::SameRun(done->plan, plan) ||
          done->target != activations::SimdTarget() || done->binary != binary) {
        const std::string why =
            done.ok() ? done->command : std::string(done.status().message());
        std::fprintf(stderr, "certify: %s is not a piece of this run (%s, on %s, by binary "
                     "%s; this is %s): continue with that binary, or use another "
                     "--shard-dir\n", path.c_str(), why.c_str(),
                     done.ok() ? done->target.c_str() : "?",
                     done.ok() && !done->binary.empty() ? done->binary.c_str() : "?",
                     binary.c_str());
        return false;
      }
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<std::vector<certify::Row>> rows = certify::Run(plan);
    if (!rows.ok()) {
      ::close(lock);
      std::fprintf(stderr, "%s\n", std::string(rows.status().message()).c_str());
      return false;
    }
    certify::Partial piece;
    piece.plan = plan;
    piece.target = std::string(activations::SimdTarget());
    piece.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    piece.command = command;
    piece.binary = binary;
    piece.rows = *std::move(rows);
    // Written whole, then renamed: a file in `dir` is always complete.
    const fs::path tmp = fs::path(path).concat(".tmp");
    {
      std::ofstream out(tmp);
      out << certify::FormatPartial(piece);
      out.close();
      if (!out) {
        ::close(lock);
        std::fprintf(stderr, "certify: cannot write %s\n", tmp.c_str());
        return false;
      }
    }
    fs::rename(tmp, path, ec);
    ::close(lock);
    if (ec) {
      std::fprintf(stderr, "certify: cannot rename %s: %s\n", tmp.c_str(), ec.message().c_str());
      return false;
    }
    std::fprintf(stderr, "certify: %s done in %.0f s\n", path.c_str(), piece.seconds);
  }
  return true;
}

// The table of the sharded runs in `dirs` (comma-separated), each complete:
// one run, or runs of the same plan for different functions (one directory
// each), their rows in catalogue order. 0, or the exit status of an error
// (printed).
int Merge(std::string_view dirs, Output& output, const std::string& command) {
  std::vector<certify::Partial> runs;
  for (const std::string& dir : SplitList(dirs)) {
    absl::StatusOr<std::vector<certify::Partial>> pieces = ReadPartials(dir);
    absl::StatusOr<certify::Partial> whole =
        pieces.ok() ? certify::MergePartials(*pieces) : pieces.status();
    if (!whole.ok()) {
      std::fprintf(stderr, "%s (in %s)\n", std::string(whole.status().message()).c_str(),
                   dir.c_str());
      return 2;
    }
    runs.push_back(*std::move(whole));
  }
  if (runs.empty()) return 2;
  certify::Partial all = runs[0];
  all.rows.clear();
  all.plan.functions.clear();
  all.seconds = 0;
  for (const activations::ActivationSpec& spec : activations::Catalog()) {
    for (const certify::Partial& run : runs) {
      certify::Plan a = run.plan, b = runs[0].plan;
      a.functions = b.functions = {};
      if (!certify::SameRun(a, b) || run.plan.functions.empty()) {
        if (runs.size() == 1) break;
        std::fprintf(stderr, "certify: merging several directories needs runs of the same plan "
                     "with --functions: '%s' against '%s'\n", run.command.c_str(),
                     runs[0].command.c_str());
        return 2;
      }
      if (run.plan.functions != std::vector<std::string>{std::string(spec.name)}) continue;
      all.plan.functions.push_back(std::string(spec.name));
      all.rows.insert(all.rows.end(), run.rows.begin(), run.rows.end());
      all.seconds += run.seconds;
    }
  }
  if (runs.size() == 1) {
    all = runs[0];
  } else if (all.plan.functions.size() != runs.size()) {
    std::fprintf(stderr, "certify: merging several directories needs one function each, "
                 "each once\n");
    return 2;
  }
  std::string how = all.command;
  if (runs.size() > 1) how.append(", one run per function");
  how.append("; merged by ").append(command);
  return output.Report(all.plan, all.rows, all.seconds, how, all.target) ? 0 : 2;
}

// --fingerprint: a header naming the run, then one tab-separated line per
// row: function, parameters ("-" at the defaults), mode, hash, inputs.
void PrintFingerprints(const certify::Plan& plan, const std::string& command,
                       const std::vector<certify::FingerprintRow>& rows, double seconds) {
  std::printf("# %s: dtype %s, target %s, binary %s, %.0f s\n", command.c_str(),
              std::string(activations::DTypeName(plan.dtype)).c_str(),
              std::string(activations::SimdTarget()).c_str(), BinaryId().c_str(), seconds);
  for (const certify::FingerprintRow& r : rows) {
    std::printf("%s\t%s\t%s\t%016llx\t%llu\n", r.function.c_str(),
                r.params.empty() ? "-" : r.params.c_str(), r.mode.c_str(),
                static_cast<unsigned long long>(r.hash),
                static_cast<unsigned long long>(r.inputs));
  }
}

// The line --chunk-hashes writes after its comment and --changed-from
// checks: what makes two runs' chunks the same inputs and rows.
std::string ChunkPlanLine(const certify::Plan& plan) {
  std::string line = "plan\t";
  line.append(activations::DTypeName(plan.dtype));
  for (const std::uint64_t v : {plan.stride, plan.samples, plan.shard, plan.shards,
                                static_cast<std::uint64_t>(plan.rows),
                                static_cast<std::uint64_t>(plan.non_default),
                                static_cast<std::uint64_t>(certify::kChunkInputs)}) {
    line.append("\t").append(std::to_string(v));
  }
  return line.append("\t").append(activations::SimdTarget());
}

// --chunk-hashes=FILE: a comment naming the run, the plan line, then one
// line per function, parameter set and chunk: function, parameters ("-" at
// the defaults), chunk number, hash.
bool WriteChunkHashes(const certify::Plan& plan, const std::string& path,
                      const std::string& command,
                      const std::vector<certify::ChunkFingerprint>& chunks) {
  std::ofstream out(path);
  out << "# " << command << ": binary " << BinaryId() << "\n" << ChunkPlanLine(plan) << "\n";
  for (const certify::ChunkFingerprint& f : chunks) {
    for (std::size_t c = 0; c < f.hashes.size(); ++c) {
      char hash[17];
      std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(f.hashes[c]));
      out << f.function << '\t' << (f.params.empty() ? "-" : f.params) << '\t' << c << '\t'
          << hash << '\n';
    }
  }
  out.flush();
  if (!out) std::fprintf(stderr, "certify: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

// --changed-from=FILE: sets plan->only_chunks to the chunks whose hashes in
// this build differ from FILE's (or that FILE lacks), and plan->subset to
// words saying so. False, with a message, for an unreadable FILE or one
// written for other inputs (its plan line differs from this run's).
bool SelectChangedChunks(const std::string& path, certify::Plan* plan) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // the comment
  if (!std::getline(in, line) || line != ChunkPlanLine(*plan)) {
    std::fprintf(stderr, "certify: %s is not the chunk hashes of this run's inputs and target "
                 "(want the line \"%s\" after its first)\n", path.c_str(),
                 ChunkPlanLine(*plan).c_str());
    return false;
  }
  std::map<std::pair<std::string, std::string>, std::map<std::uint64_t, std::uint64_t>> old;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string function, params, hash;
    std::uint64_t chunk = 0;
    if (!std::getline(fields, function, '\t') || !std::getline(fields, params, '\t') ||
        !(fields >> chunk) || !(fields >> hash)) {
      std::fprintf(stderr, "certify: %s: unreadable line \"%s\"\n", path.c_str(), line.c_str());
      return false;
    }
    old[{function, params == "-" ? "" : params}][chunk] = std::strtoull(hash.c_str(), nullptr, 16);
  }
  const absl::StatusOr<std::vector<certify::ChunkFingerprint>> now =
      certify::FingerprintChunks(*plan);
  if (!now.ok()) {
    std::fprintf(stderr, "%s\n", std::string(now.status().message()).c_str());
    return false;
  }
  auto changed = std::make_shared<std::map<std::pair<std::string, std::string>,
                                           std::vector<bool>>>();
  const auto [first, last] = certify::ShardRange(*plan);
  std::uint64_t chunks = 0, changed_chunks = 0, changed_inputs = 0;
  for (const certify::ChunkFingerprint& f : *now) {
    const auto it = old.find({f.function, f.params});
    std::vector<bool>& mark = (*changed)[{f.function, f.params}];
    mark.resize(f.hashes.size());
    for (std::uint64_t c = 0; c < f.hashes.size(); ++c) {
      const bool same = it != old.end() && it->second.count(c) > 0 &&
                        it->second.at(c) == f.hashes[c];
      mark[c] = !same;
      ++chunks;
      if (same) continue;
      ++changed_chunks;
      const std::uint64_t begin = first + c * certify::kChunkInputs;
      changed_inputs += std::min(last, begin + certify::kChunkInputs) - begin;
    }
  }
  std::fprintf(stderr, "certify: %llu of %llu chunks (%llu inputs) differ from %s\n",
               static_cast<unsigned long long>(changed_chunks),
               static_cast<unsigned long long>(chunks),
               static_cast<unsigned long long>(changed_inputs), path.c_str());
  plan->only_chunks = [changed](const std::string& function, const std::string& params,
                                std::uint64_t chunk) {
    const auto it = changed->find({function, params});
    return it != changed->end() && chunk < it->second.size() && it->second[chunk];
  };
  plan->subset = "only the " + std::to_string(changed_inputs) + " inputs (" +
                 std::to_string(changed_chunks) + " of " + std::to_string(chunks) +
                 " chunks of " + std::to_string(certify::kChunkInputs) +
                 " inputs) whose outputs differ from those of the build that wrote " + path;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dtype = "all", shard_dir, merge, chunk_hashes, changed_from;
  certify::Plan base;
  Output output;
  bool one_shard = false, fingerprint = false;
  std::string command = "certify";
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    command.append(" ").append(a);
    auto value = [&](std::string_view flag) -> const char* {
      return a.substr(0, flag.size()) == flag ? argv[i] + flag.size() : nullptr;
    };
    if (const char* v = value("--dtype=")) {
      dtype = v;
    } else if (const char* v = value("--stride=")) {
      base.stride = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--samples=")) {
      base.samples = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--functions=")) {
      for (std::string& name : SplitList(v)) base.functions.push_back(std::move(name));
    } else if (const char* v = value("--rows=")) {
      const absl::StatusOr<unsigned> rows = certify::ParseRowSet(v);
      if (!rows.ok() || *rows == 0) {
        std::fprintf(stderr, "%s\n", rows.ok() ? "certify: --rows= names no row kind"
                                               : std::string(rows.status().message()).c_str());
        return 2;
      }
      base.rows = *rows;
    } else if (const char* v = value("--shard=")) {
      char* slash = nullptr;
      base.shard = std::strtoull(v, &slash, 10);
      base.shards = *slash == '/' ? std::strtoull(slash + 1, nullptr, 10) : 0;
      if (base.shards == 0 || base.shard >= base.shards) {
        std::fprintf(stderr, "certify: --shard=%s is not K/N with 0 <= K < N\n", v);
        return 2;
      }
      one_shard = true;
    } else if (const char* v = value("--shards=")) {
      base.shards = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--shard-dir=")) {
      shard_dir = v;
    } else if (const char* v = value("--merge=")) {
      merge = v;
    } else if (const char* v = value("--section=")) {
      output.section = v;
    } else if (const char* v = value("--threads=")) {
      base.threads = std::atoi(v);
    } else if (const char* v = value("--write=")) {
      output.write = v;
    } else if (a == "--no-non-default") {
      base.non_default = false;
    } else if (a == "--list-functions") {
      for (const activations::ActivationSpec& spec : activations::Catalog()) {
        if (spec.elementwise) std::printf("%s\n", std::string(spec.name).c_str());
      }
      return 0;
    } else if (a == "--check") {
      output.check = true;
    } else if (a == "--fingerprint") {
      fingerprint = true;
    } else if (const char* v = value("--chunk-hashes=")) {
      chunk_hashes = v;
    } else if (const char* v = value("--changed-from=")) {
      changed_from = v;
    } else {
      std::fprintf(stderr, "certify: unknown flag %s (see the comment at the top of "
                   "tools/certify_main.cc)\n", argv[i]);
      return 2;
    }
  }
  if (base.stride == 0) base.stride = 1;
  if (!merge.empty()) {
    const int status = Merge(merge, output, command);
    return status != 0 ? status : output.check && output.over > 0 ? 1 : 0;
  }
  std::vector<std::pair<std::string, DType>> dtypes;
  for (auto [n, t] : {std::pair{"float32", DType::kFloat32}, std::pair{"bfloat16", DType::kBFloat16},
                      std::pair{"float16", DType::kFloat16}, std::pair{"float64", DType::kFloat64}}) {
    if (dtype == "all" || dtype == n) dtypes.emplace_back(n, t);
  }
  if (dtypes.empty()) {
    std::fprintf(stderr, "certify: --dtype=%s; valid: all, float32, float64, bfloat16, float16\n",
                 dtype.c_str());
    return 2;
  }
  if (base.shards == 0 || ((base.shards > 1 || !shard_dir.empty()) && dtypes.size() != 1)) {
    std::fprintf(stderr, "certify: shards need one --dtype and --shards=N >= 1\n");
    return 2;
  }
  if (base.shards > 1 && !one_shard && shard_dir.empty()) {
    std::fprintf(stderr, "certify: --shards=N runs every piece into --shard-dir=DIR; "
                 "--shard=K/N runs one\n");
    return 2;
  }
  if (fingerprint && (!shard_dir.empty() || output.check || !output.write.empty())) {
    std::fprintf(stderr, "certify: --fingerprint prints its lines only (no --shard-dir, "
                 "--check or --write)\n");
    return 2;
  }
  if (!chunk_hashes.empty() && !fingerprint) {
    std::fprintf(stderr, "certify: --chunk-hashes=FILE goes with --fingerprint\n");
    return 2;
  }
  if (!changed_from.empty() && (fingerprint || !shard_dir.empty() || dtypes.size() != 1)) {
    std::fprintf(stderr, "certify: --changed-from=FILE needs one --dtype, and no "
                 "--fingerprint or --shard-dir\n");
    return 2;
  }
  for (const auto& [name, t] : dtypes) {
    certify::Plan plan = base;
    plan.dtype = t;
    if (fingerprint) {
      // One run of the kernels for both the rows and, with --chunk-hashes,
      // the chunks.
      const auto start = std::chrono::steady_clock::now();
      std::vector<certify::FingerprintRow> rows;
      std::vector<certify::ChunkFingerprint> chunks;
      const absl::Status status =
          certify::Fingerprints(plan, &rows, chunk_hashes.empty() ? nullptr : &chunks);
      if (!status.ok()) {
        std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
        return 2;
      }
      PrintFingerprints(plan, command, rows,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                            .count());
      if (std::fflush(stdout) != 0) return 2;
      if (!chunk_hashes.empty() && !WriteChunkHashes(plan, chunk_hashes, command, chunks)) {
        return 2;
      }
      continue;
    }
    // (The time reported includes --changed-from's fingerprinting.)
    const auto start = std::chrono::steady_clock::now();
    if (!changed_from.empty() && !SelectChangedChunks(changed_from, &plan)) return 2;
    if (!shard_dir.empty()) {
      if (!RunShards(plan, one_shard, shard_dir, command)) return 2;
      absl::StatusOr<std::vector<certify::Partial>> pieces = ReadPartials(shard_dir);
      std::size_t done = 0;
      if (pieces.ok()) {
        for (const certify::Partial& p : *pieces) done += certify::SameRun(p.plan, plan);
      }
      if (done < plan.shards) {
        std::fprintf(stderr, "certify: %zu of %llu pieces in %s; the same command continues\n",
                     done, static_cast<unsigned long long>(plan.shards), shard_dir.c_str());
        continue;
      }
      const int status = Merge(shard_dir, output, command);
      if (status != 0) return status;
      continue;
    }
    const absl::StatusOr<std::vector<certify::Row>> run = certify::Run(plan);
    if (!run.ok()) {
      std::fprintf(stderr, "%s\n", std::string(run.status().message()).c_str());
      return 2;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<certify::Row> rows = *run;
    if (plan.only_chunks) {
      // Rows of functions whose outputs did not change checked nothing.
      std::erase_if(rows, [](const certify::Row& r) { return r.checked == 0; });
    }
    if (!output.Report(plan, rows, seconds, command, std::string(activations::SimdTarget()))) {
      return 2;
    }
  }
  return output.check && output.over > 0 ? 1 : 0;
}
