// The accuracy certificate: every elementwise activation of the catalogue,
// in every mode, against the long-double reference, over every input of a
// dtype (all 2^32 float32 bit patterns, all 2^16 of bfloat16 and float16)
// or a sample of them (float64; float32 with a stride, for CI). Runs on the
// SIMD target this CPU dispatches to, in parallel with oneTBB.
//
// The reference is long double (64-bit significand): 40 bits beyond
// float32's, so the measured float32 ULP errors are exact to about 1e-12
// ULP wherever the reference formula itself does not cancel, which the
// references avoid by construction (series near 0, log1p, expm1, stable
// forms). Near a zero of f' (gelu, silu, ...) the reference's absolute error
// 2^-64 is still below 1e-4 ULP of any float32 result there.
#ifndef TOOLS_CERTIFY_H_
#define TOOLS_CERTIFY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "activations/evaluate.h"
#include "activations/spec.h"

namespace activations::certify {

// Row kinds, as bits of Plan::rows. forward_and_derivative's two tensors are
// one kind (one call computes both).
enum RowSet : unsigned {
  kForwardRow = 1,
  kDerivativeRow = 2,
  kForwardAndDerivativeRows = 4,
  kBackwardRow = 8,
  kDerivativeFromOutputRow = 16,
  kBackwardFromOutputRow = 32,
  kAllRows = 63,
};
// The names --rows takes, in RowSet's bit order: "forward", "derivative",
// "forward_and_derivative", "backward", "derivative_from_y",
// "backward_from_y".
std::string_view RowSetName(unsigned bit);
// Bits of a comma-separated list of those names; INVALID_ARGUMENT naming an
// unknown one and the valid ones.
absl::StatusOr<unsigned> ParseRowSet(std::string_view names);

// What to check.
struct Plan {
  DType dtype = DType::kFloat32;
  // float32: every stride-th bit pattern (1 = all 2^32); bfloat16/float16:
  // always all 2^16; float64: `samples` random bit patterns plus as many
  // uniform values in [-50, 50].
  std::uint64_t stride = 1;
  std::uint64_t samples = 1 << 20;
  // Also one call per parametrised function with its parameters moved off
  // the defaults (the first that the spec accepts, rounded to float32).
  bool non_default = true;
  int threads = 0;  // 0: all cores
  // The functions to check, by wire name; empty: every elementwise entry.
  std::vector<std::string> functions;
  // The bound each tensor is checked against (Row::bound, over_bound): the
  // catalogue's unless replaced (a test's tighter bound, or a bound being
  // proposed).
  double (*bound)(const Call&, DType, ResultTensor) = &MaxUlpError;
  // The rows to check (RowSet bits): a subset costs less (only the kernels
  // and references those rows need run) and is reported as such.
  unsigned rows = kAllRows;
  // The inputs split into `shards` contiguous pieces of their numbering
  // (bit patterns in order for float32); only piece `shard` (0-based) is
  // checked. Merge combines the pieces' rows into the whole run's.
  std::uint64_t shard = 0;
  std::uint64_t shards = 1;
  // When set, only the chunks of kChunkInputs inputs (numbered from 0 at the
  // shard's first input) for which it returns true are checked, per function
  // and parameter set (as Row::params): how a build whose outputs changed on
  // a few inputs is certified on those alone (FingerprintChunks). Unset:
  // every chunk.
  std::function<bool(const std::string& function, const std::string& params,
                     std::uint64_t chunk)>
      only_chunks;
  // Words the report's heading appends to name that subset (only_chunks).
  std::string subset;
};

// Inputs per chunk: the unit of work, of FingerprintChunks and of
// Plan::only_chunks.
inline constexpr std::uint64_t kChunkInputs = 1 << 16;

// One checked tensor: a function, its parameters, a mode (and input kind).
struct Row {
  std::string function;
  std::string params;  // "" at the defaults, else "alpha=0.5"
  // "forward", "derivative", "forward_and_derivative: f" and ": f'" (each
  // tensor against its own bound), "backward", "derivative (from y)",
  // "backward (from y)".
  std::string mode;
  double max_ulp = 0;  // the contract's error (reference.h), worst over inputs
  double worst_input = 0;
  std::uint64_t worst_index = 0;  // the worst input's number in the plan's inputs
  double worst_got = 0;
  long double worst_want = 0;
  double bound = 0;    // Plan::bound for the row's call, dtype and tensor
  std::uint64_t checked = 0;
  std::uint64_t over_bound = 0;  // inputs whose error exceeds the bound
};

// Runs the plan; rows in catalogue order, the same whatever the thread count
// (ties between inputs go to the first). INVALID_ARGUMENT naming an unknown
// or line-wise function in Plan::functions. Thread-compatible.
absl::StatusOr<std::vector<Row>> Run(const Plan& plan);

// What the kernels compute on a plan's inputs, one number per row: a 64-bit
// hash of every output's bits in input order, the inputs exactly those Run
// checks (x; g = GradientAt(i) in backward; y = the reference's f(x) rounded
// in the "from y" rows; the plan's shard only). Two builds whose rows have
// equal fingerprints compute those rows bit for bit alike on every one of
// those inputs (a difference is missed with probability about 2^-64), so a
// certificate (Run) made with one build holds for the other: kernels that
// did not change need not be certified again. Costs the kernels, the
// hashing and, for "from y" rows, the reference's f; not the reference's f'
// nor the error analysis. Thread-compatible; the same result whatever the
// thread count.
struct FingerprintRow {
  std::string function;
  std::string params;  // as Row::params
  std::string mode;    // as Row::mode
  std::uint64_t hash = 0;
  std::uint64_t inputs = 0;
};
absl::StatusOr<std::vector<FingerprintRow>> Fingerprint(const Plan& plan);

// The same hashes per chunk instead of per row: for each function and
// parameter set, one hash per chunk of kChunkInputs inputs of the plan's
// shard, over every row's outputs on that chunk. Where two builds' chunk
// hashes are equal, they compute every row alike on that chunk; so a build
// that changed a kernel's bits on a few inputs is certified over all of them
// by the old build's certificate plus a Run of the chunks whose hashes
// differ (Plan::only_chunks; `certify --changed-from`), minutes instead of
// the whole run. Thread-compatible; the same whatever the thread count.
struct ChunkFingerprint {
  std::string function;
  std::string params;                 // as Row::params
  std::vector<std::uint64_t> hashes;  // chunk c: the shard's inputs from c kChunkInputs
};
absl::StatusOr<std::vector<ChunkFingerprint>> FingerprintChunks(const Plan& plan);
// Both from one run of the kernels (either pointer may be null): what
// `certify --fingerprint --chunk-hashes` prints and writes.
absl::Status Fingerprints(const Plan& plan, std::vector<FingerprintRow>* rows,
                          std::vector<ChunkFingerprint>* chunks);

// The parameter sets a plan checks for `spec`: the defaults ({}) and, with
// non_default, the first parameter moved up by 0.37 of its scale (rounded
// to float32, integers to integers) that the spec accepts.
using ParameterSet = std::vector<std::pair<std::string_view, double>>;
std::vector<ParameterSet> ParameterSets(const ActivationSpec& spec, bool non_default);
// `n` parameter sets for `spec` drawn over each parameter's whole valid range
// (its ParamSpec::valid_range), where the defaults and ParameterSets' one
// step off them do not look: first each parameter alone at its edges -- a
// closed end itself, just inside a finite end (0 -> 2^-100), the far ends of
// an unbounded side (+-2^100), 2^-100 beside a default of 0 -- the others at
// their defaults; then every parameter at once, each an edge or a
// log-uniform magnitude in [2^-100, 2^100] with a sign the range allows.
// Values are rounded to float32 (as ParameterSets; 2^+-100 are floats), sets
// the spec rejects (hardtanh's min_val > max_val) are tried with their two
// values swapped, then dropped; duplicates are dropped, so fewer than `n` may
// come back (none for a function without parameters). Deterministic in
// `seed`.
std::vector<ParameterSet> WideParameterSets(const ActivationSpec& spec, int n,
                                            std::uint64_t seed);
// A row's parameters as "name=value, ..." (%.9g), those at their defaults
// left out: "" at the defaults.
std::string ParamsLabel(const ActivationSpec& spec, const Call& call);

// Input number i of the plan (i < InputCount(plan)), exactly a value of the
// dtype: the bit pattern i * stride (float32), i (16-bit types), a random
// bit pattern (float64, even i) or a uniform value in [-50, 50] (odd i).
double InputAt(const Plan& plan, std::uint64_t i);
// The upstream gradient g the backward rows use for input number i, before
// rounding to the dtype: +-[0.5, 2), so g f' rounds as a real product does.
double GradientAt(std::uint64_t i);
// An upstream gradient from the ends of `dtype`'s range for input number i,
// exactly a value of the dtype (float32 or float64): +-max, +-min, +-0,
// +-inf, subnormals and, half the time, a log-uniform magnitude over the
// whole range (denorm_min to max); either sign. mpfr_check --tails.
double ExtremeGradientAt(std::uint64_t i, DType dtype);

// The number of inputs the plan's dtype, stride and samples give (all
// shards together), and the numbers [begin, end) of shard `plan.shard`.
std::uint64_t InputCount(const Plan& plan);
std::pair<std::uint64_t, std::uint64_t> ShardRange(const Plan& plan);

// The rows of one run from the rows of its pieces (Run of the same plan on
// disjoint input ranges, in any order): the worst over the pieces, ties to
// the smaller input number; counts summed. INVALID_ARGUMENT when the pieces
// do not have the same rows in the same order with the same bounds.
absl::StatusOr<std::vector<Row>> MergeRows(const std::vector<std::vector<Row>>& pieces);

}  // namespace activations::certify

#endif  // TOOLS_CERTIFY_H_
