// Behaviour of the compute library: validation and its messages, lengths and
// tails, in place and unaligned spans, serial vs parallel bit-identity,
// special values, and the catalogue's claims checked against the numbers.

#include <algorithm>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/half_float.h"
#include "activations/kernels.h"
#include "activations/reference.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwy/targets.h"
#include "tests/activations/test_inputs.h"

namespace activations {
namespace {

using ::testing::HasSubstr;
using Params = std::vector<std::pair<std::string_view, double>>;

// Bitwise equality, treating every NaN as equal to every NaN.
template <typename T>
bool SameBits(T a, T b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof(T)) == 0;
}

std::string StatusMessage(const absl::Status& s) { return std::string(s.message()); }

TEST(MakeCallTest, UnknownFunctionListsTheValidNames) {
  auto call = MakeCall("sigmod", {}, Mode::kForward);
  ASSERT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(StatusMessage(call.status()), HasSubstr("function: unknown activation \"sigmod\""));
  EXPECT_THAT(StatusMessage(call.status()), HasSubstr("sigmoid, tanh, relu"));
}

// Regression (bad_input_matrix.py): a NUL or a newline in a name reached the
// message, and so logs and terminals, as is.
TEST(MakeCallTest, ControlCharactersInNamesAreEscaped) {
  auto call = MakeCall(std::string_view("tanh\0\n\"x", 8), {}, Mode::kForward);
  EXPECT_THAT(StatusMessage(call.status()),
              HasSubstr(R"(function: unknown activation "tanh\000\n\"x";)"));
  const Params p = {{"al\x1bpha", 1.0}};
  auto param = MakeCall("elu", p, Mode::kForward);
  EXPECT_THAT(StatusMessage(param.status()), HasSubstr(R"(unknown parameter "al\033pha")"));
  // UTF-8 letters stay readable.
  auto utf8 = MakeCall("s\xc3\xafgmoid", {}, Mode::kForward);
  EXPECT_THAT(StatusMessage(utf8.status()), HasSubstr("\"s\xc3\xafgmoid\""));
}

TEST(MakeCallTest, UnknownParameterListsTheFunctionsParameters) {
  const Params p = {{"slope", 0.1}};
  auto call = MakeCall("leaky_relu", p, Mode::kForward);
  ASSERT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(StatusMessage(call.status()), HasSubstr("unknown parameter \"slope\""));
  EXPECT_THAT(StatusMessage(call.status()), HasSubstr("valid: negative_slope"));
  auto none = MakeCall("tanh", p, Mode::kForward);
  EXPECT_THAT(StatusMessage(none.status()), HasSubstr("tanh takes no parameters"));
}

TEST(MakeCallTest, OutOfRangeNamesFieldValueAndRange) {
  const Params p = {{"negative_slope", -2}};
  auto call = MakeCall("leaky_relu", p, Mode::kForward);
  ASSERT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusMessage(call.status()),
            "params.negative_slope: leaky_relu: negative_slope=-2 is outside [0, inf)");
  for (double beta : {0.0, -1.0, std::nan("")}) {
    const Params b = {{"beta", beta}};
    auto sp = MakeCall("softplus", b, Mode::kForward);
    EXPECT_EQ(sp.status().code(), absl::StatusCode::kInvalidArgument) << beta;
    EXPECT_THAT(StatusMessage(sp.status()), HasSubstr("is outside (0, inf)"));
  }
}

TEST(MakeCallTest, ParametersTiedTogetherAreCheckedTogether) {
  const Params p = {{"min_val", 2}, {"max_val", 1}};
  auto call = MakeCall("hardtanh", p, Mode::kForward);
  ASSERT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusMessage(call.status()),
            "params: hardtanh: min_val=2, max_val=1: min_val must be less than max_val "
            "(as torch.nn.Hardtanh)");
  const Params fine = {{"min_val", -2}, {"max_val", 0.5}};
  EXPECT_TRUE(MakeCall("hardtanh", fine, Mode::kForward).ok());
}

TEST(MakeCallTest, DefaultsAndGivenValuesLandInSpecOrder) {
  const Params p = {{"threshold", 5}};
  auto call = MakeCall("softplus", p, Mode::kForward);
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->params[0], 1.0);
  EXPECT_EQ(call->params[1], 5.0);
}

TEST(MakeCallTest, InputKindOutputOnlyWhereTheSpecAllowsIt) {
  for (const ActivationSpec& spec : Catalog()) {
    auto call = MakeCall(spec.name, {}, Mode::kBackward, InputKind::kOutput);
    EXPECT_EQ(call.ok(), spec.derivative_from_output) << spec.name;
    if (!call.ok()) {
      EXPECT_THAT(StatusMessage(call.status()), HasSubstr("input_kind"));
      EXPECT_THAT(StatusMessage(call.status()), HasSubstr("sigmoid, tanh, relu, leaky_relu, elu"));
    }
  }
  auto fwd = MakeCall("sigmoid", {}, Mode::kForward, InputKind::kOutput);
  EXPECT_EQ(fwd.status().code(), absl::StatusCode::kInvalidArgument);
}

// Every parameter: its default is valid, and each finite end of its range is
// accepted exactly when the spec says the end is closed (and the rule that
// ties the parameters together, if any, holds with the others at their
// defaults).
TEST(CatalogTest, ParameterDefaultsAndRangeEnds) {
  for (const ActivationSpec& spec : Catalog()) {
    for (const ParamSpec& p : spec.params) {
      SCOPED_TRACE(std::string(spec.name) + "." + std::string(p.name));
      EXPECT_TRUE(p.valid_range.Contains(p.default_value));
      const Params def = {{p.name, p.default_value}};
      EXPECT_TRUE(MakeCall(spec.name, def, Mode::kForward).ok());
      for (auto [end, closed] : {std::pair{p.valid_range.min, p.valid_range.min_inclusive},
                                 std::pair{p.valid_range.max, p.valid_range.max_inclusive}}) {
        if (std::isinf(end)) continue;
        const Params at_end = {{p.name, end}};
        ParamValues values{};
        for (size_t i = 0; i < spec.params.size(); ++i) {
          values[i] = &spec.params[i] == &p ? end : spec.params[i].default_value;
        }
        const bool tied_ok = spec.check_params == nullptr || !spec.check_params(values.data());
        EXPECT_EQ(MakeCall(spec.name, at_end, Mode::kForward).ok(), closed && tied_ok) << end;
      }
    }
  }
}

// The spec, its reference and its kernels agree on derivative_from_output
// (the kernels' side is a static_assert in kernels.cc).
TEST(CatalogTest, ReferenceCoversWhatTheSpecClaims) {
  for (const ActivationSpec& spec : Catalog()) {
    if (!spec.elementwise) {
      EXPECT_NE(spec.reference.line_value, nullptr) << spec.name;
      EXPECT_NE(spec.reference.line_backward_from_output, nullptr) << spec.name;
      EXPECT_NE(spec.reference.line_backward_magnitude, nullptr) << spec.name;
      EXPECT_TRUE(spec.derivative_from_output) << spec.name;
      continue;
    }
    EXPECT_NE(spec.reference.value, nullptr) << spec.name;
    EXPECT_NE(spec.reference.derivative, nullptr) << spec.name;
    EXPECT_EQ(spec.reference.derivative_from_output != nullptr, spec.derivative_from_output)
        << spec.name;
  }
}

TEST(CatalogTest, NamesAreUniqueAndFindable) {
  for (const ActivationSpec& spec : Catalog()) {
    ActivationId id;
    ASSERT_EQ(FindSpec(spec.name, &id), &spec);
    EXPECT_EQ(&GetSpec(id), &spec);
  }
  EXPECT_EQ(FindSpec("nope"), nullptr);
}

// Computes each element on its own (a length-1 span: the tail path) as the
// expected value of every longer computation.
template <typename T>
std::vector<T> OneByOne(const Call& call, DType dt, const std::vector<T>& x,
                        const std::vector<T>& g, std::vector<T>* deriv) {
  std::vector<T> out(x.size());
  deriv->assign(x.size(), T(0));
  for (size_t i = 0; i < x.size(); ++i) {
    RunSerial(Job{call, dt, 1, &x[i], &g[i], &out[i], &(*deriv)[i]});
  }
  return out;
}

// T is the storage type of `dt` (uint16_t for the 16-bit types); `make`
// turns a double into a T.
template <typename T, typename Make>
void CheckLengthsInPlaceAndUnaligned(DType dt, Make make) {
  std::mt19937 rng(3);
  for (const ActivationSpec& spec : Catalog()) {
    if (!spec.elementwise) continue;  // line-wise: tested on lines
    for (Mode mode : {Mode::kForward, Mode::kForwardAndDerivative, Mode::kBackward}) {
      const Call call = *MakeCall(spec.name, {}, mode);
      // 64 lanes covers every vector width: N - 1, N, N + 1 for all of them.
      for (size_t n : {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, 4099}) {
        SCOPED_TRACE(std::string(spec.name) + " " + std::string(ModeName(mode)) +
                     " n=" + std::to_string(n));
        std::vector<T> x(n), g(n);
        for (auto& v : x) v = make(std::normal_distribution<double>(0, 5)(rng));
        for (auto& v : g) v = make(std::normal_distribution<double>(0, 1)(rng));
        std::vector<T> want_d;
        const std::vector<T> want = OneByOne(call, dt, x, g, &want_d);
        // Unaligned: one element past an aligned start. The outputs' element
        // before and after the job keep a sentinel: no vector of the loop
        // or its tail writes past n.
        const T sentinel = make(-7.25);
        std::vector<T> buf(n + 2), gbuf(n + 2), out(n + 2, sentinel), d(n + 2, sentinel);
        std::copy(x.begin(), x.end(), buf.begin() + 1);
        std::copy(g.begin(), g.end(), gbuf.begin() + 1);
        RunSerial(Job{call, dt, n, buf.data() + 1, gbuf.data() + 1, out.data() + 1, d.data() + 1});
        for (size_t i = 0; i < n; ++i) {
          ASSERT_TRUE(SameBits(out[i + 1], want[i])) << i;
          if (mode == Mode::kForwardAndDerivative) {
            ASSERT_TRUE(SameBits(d[i + 1], want_d[i])) << i;
          }
        }
        for (size_t i : {size_t{0}, n + 1}) {
          ASSERT_TRUE(SameBits(out[i], sentinel)) << "out[" << i << "] written";
          ASSERT_TRUE(SameBits(d[i], sentinel)) << "derivative[" << i << "] written";
        }
        // In place: output over the input.
        std::vector<T> inplace = x;
        RunSerial(Job{call, dt, n, inplace.data(), g.data(), inplace.data(), d.data()});
        for (size_t i = 0; i < n; ++i) ASSERT_TRUE(SameBits(inplace[i], want[i])) << i;
      }
    }
  }
}

TEST(EvaluateTest, LengthsInPlaceAndUnalignedFloat) {
  CheckLengthsInPlaceAndUnaligned<float>(DType::kFloat32, [](double v) { return float(v); });
}
TEST(EvaluateTest, LengthsInPlaceAndUnalignedDouble) {
  CheckLengthsInPlaceAndUnaligned<double>(DType::kFloat64, [](double v) { return v; });
}
TEST(EvaluateTest, LengthsInPlaceAndUnalignedBFloat16) {
  CheckLengthsInPlaceAndUnaligned<uint16_t>(DType::kBFloat16,
                                            [](double v) { return FloatToBFloat16(float(v)); });
}
TEST(EvaluateTest, LengthsInPlaceAndUnalignedFloat16) {
  CheckLengthsInPlaceAndUnaligned<uint16_t>(DType::kFloat16,
                                            [](double v) { return FloatToFloat16(float(v)); });
}

// A forward that runs two vectors at a time (a kernel's ValuePair, the
// driver's LoopForwardPairs: selu float32 since session 29) takes its rare
// path for both when either has a lane that needs it; a zero, subnormal,
// tiny, infinite or NaN x in any lane of either vector of a pair, or of the
// odd vector after the pairs, gives the element's own result, bit for bit.
TEST(EvaluateTest, RareLanesInEitherVectorOfAPairFloat) {
  std::mt19937 rng(29);
  const float kSpecial[] = {0.0f, -0.0f, 1e-35f, -1e-35f, -1e-40f, 3e-39f,
                            std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
  const size_t n = 2 * 64 + 16 + 5;  // two pairs of the widest vector, an odd one and a tail
  for (const ActivationSpec& spec : Catalog()) {
    if (!spec.elementwise) continue;
    const Call call = *MakeCall(spec.name, {}, Mode::kForward);
    std::vector<float> x(n), g(n, 1.0f);
    for (auto& v : x) v = float(std::normal_distribution<double>(0, 5)(rng));
    for (size_t k = 0; k < n; ++k) {
      for (float special : kSpecial) {
        SCOPED_TRACE(std::string(spec.name) + " k=" + std::to_string(k) +
                     " x=" + std::to_string(special));
        std::vector<float> xs = x;
        xs[k] = special;
        std::vector<float> out(n), d(n), want_d;
        RunSerial(Job{call, DType::kFloat32, n, xs.data(), g.data(), out.data(), d.data()});
        // Every element against its own one-element job (the tail's path).
        const std::vector<float> want = OneByOne(call, DType::kFloat32, xs, g, &want_d);
        for (size_t i = 0; i < n; ++i) ASSERT_TRUE(SameBits(out[i], want[i])) << i;
      }
    }
  }
}

// An element's bits do not depend on its neighbours: a vector with a NaN
// lane (or a tiny one) takes a kernel's rare path, which must compute the
// other lanes as the common path does. (Session 29: selu's float32 forward
// summed its small terms in another order on the rare path: x =
// -0.00158878264 gave -0.00279102009 beside ordinary inputs,
// -0.00279101986 beside a NaN or alone -- a one-element job's padded lanes
// are zeros, tiny.) Runs of consecutive floats around such inputs and
// random ones, every function and mode, float32 and float64.
template <typename T>
void CheckNeighboursDoNotMatter(DType dt) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr size_t kRun = 1 << 13;
  const T kStarts[] = {T(-0.00158878264), T(-0.3), T(-1.5), T(-7.0), T(0.02), T(1.3)};
  std::vector<T> x;
  for (T start : kStarts) {
    for (size_t k = 0; k < kRun; ++k) x.push_back(std::bit_cast<T>(U(std::bit_cast<U>(start) + k)));
  }
  std::mt19937 rng(2029);
  for (size_t k = 0; k < kRun; ++k) x.push_back(T(std::normal_distribution<double>(0, 5)(rng)));
  const size_t n = x.size();
  std::vector<T> g(n);
  for (auto& v : g) v = T(std::normal_distribution<double>(0, 1)(rng));
  for (const T neighbour : {std::numeric_limits<T>::quiet_NaN(), T(0), T(1e-37)}) {
    // Every 16th element (a lane of every vector, 16 float32 or 8 float64
    // lanes wide at most) is replaced by `neighbour` in the second run.
    std::vector<T> xn = x;
    for (size_t i = 0; i < n; i += 16) xn[i] = neighbour;
    for (const ActivationSpec& spec : Catalog()) {
      if (!spec.elementwise) continue;
      for (Mode mode : {Mode::kForward, Mode::kForwardAndDerivative, Mode::kBackward}) {
        SCOPED_TRACE(std::string(spec.name) + " mode " + std::to_string(int(mode)) +
                     " neighbour " + std::to_string(double(neighbour)));
        const Call call = *MakeCall(spec.name, {}, mode);
        std::vector<T> a(n), b(n), da(n), db(n);
        RunSerial(Job{call, dt, n, x.data(), g.data(), a.data(), da.data()});
        RunSerial(Job{call, dt, n, xn.data(), g.data(), b.data(), db.data()});
        for (size_t i = 0; i < n; ++i) {
          if (i % 16 == 0) continue;
          ASSERT_TRUE(SameBits(a[i], b[i])) << "x = " << double(x[i]) << ": " << double(a[i])
                                            << " beside ordinary inputs, " << double(b[i]);
          if (mode == Mode::kForwardAndDerivative) {
            ASSERT_TRUE(SameBits(da[i], db[i])) << "f' at x = " << double(x[i]);
          }
        }
      }
    }
  }
}
TEST(EvaluateTest, NeighboursDoNotChangeAnElementsBitsFloat) {
  CheckNeighboursDoNotMatter<float>(DType::kFloat32);
}
TEST(EvaluateTest, NeighboursDoNotChangeAnElementsBitsDouble) {
  CheckNeighboursDoNotMatter<double>(DType::kFloat64);
}

// A 16-bit job in parallel gives the bits of the serial run, and those are
// the float32 job's results rounded once.
TEST(EngineTest, SixteenBitParallelIsSerialIsFloat32Rounded) {
  Options opt;
  opt.threads = 2;
  opt.parallel_threshold = 1000;
  opt.chunk_elements = 1000;
  const Engine engine(opt);
  std::mt19937 rng(9);
  const size_t n = 100003;
  std::vector<float> xf(n), gf(n);
  for (auto& v : xf) v = float(std::normal_distribution<double>(0, 4)(rng));
  for (auto& v : gf) v = float(std::normal_distribution<double>(0, 1)(rng));
  for (DType dt : {DType::kBFloat16, DType::kFloat16}) {
    const bool bf16 = dt == DType::kBFloat16;
    std::vector<uint16_t> x(n), g(n), par(n), ser(n), par2(n), ser2(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = bf16 ? FloatToBFloat16(xf[i]) : FloatToFloat16(xf[i]);
      g[i] = bf16 ? FloatToBFloat16(gf[i]) : FloatToFloat16(gf[i]);
    }
    std::vector<float> wx(n), wg(n), f32(n), f32d(n);
    for (size_t i = 0; i < n; ++i) {
      wx[i] = bf16 ? BFloat16ToFloat(x[i]) : Float16ToFloat(x[i]);
      wg[i] = bf16 ? BFloat16ToFloat(g[i]) : Float16ToFloat(g[i]);
    }
    for (const ActivationSpec& spec : Catalog()) {
      if (!spec.elementwise) continue;  // line-wise: tested on lines
      for (Mode mode : {Mode::kForwardAndDerivative, Mode::kBackward}) {
        SCOPED_TRACE(std::string(spec.name) + " " + std::string(ModeName(mode)) + " " +
                     std::string(DTypeName(dt)));
        const Call call = *MakeCall(spec.name, {}, mode);
        const Job job{call, dt, n, x.data(), g.data(), par.data(), par2.data()};
        ASSERT_TRUE(engine.Run({&job, 1}).ok());
        RunSerial(Job{call, dt, n, x.data(), g.data(), ser.data(), ser2.data()});
        RunSerial(Job{call, DType::kFloat32, n, wx.data(), wg.data(), f32.data(), f32d.data()});
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(par[i], ser[i]) << i;
          const uint16_t want = bf16 ? FloatToBFloat16(f32[i]) : FloatToFloat16(f32[i]);
          ASSERT_TRUE(par[i] == want || (std::isnan(f32[i]) && std::isnan(wx[i]))) << i;
          if (mode == Mode::kForwardAndDerivative) {
            ASSERT_EQ(par2[i], ser2[i]) << i;
            ASSERT_EQ(par2[i], bf16 ? FloatToBFloat16(f32d[i]) : FloatToFloat16(f32d[i])) << i;
          }
        }
      }
    }
  }
}

// Parallel results are bit-identical to serial ones, for one large job and
// for a batch of mixed jobs, whatever the chunking.
TEST(EngineTest, ParallelIsBitIdenticalToSerial) {
  Options opt;
  opt.threads = 2;
  opt.parallel_threshold = 1000;
  opt.chunk_elements = 1000;  // rounded to a multiple of 64
  const Engine engine(opt);
  EXPECT_EQ(engine.threads(), 2);
  std::mt19937 rng(5);
  std::vector<std::vector<float>> xf, of;
  std::vector<std::vector<double>> xd, od;
  std::vector<Job> jobs;
  for (size_t i = 0; i < Catalog().size(); ++i) {
    for (size_t n : {10, 999, 100003}) {
      std::vector<float> x(n);
      for (auto& v : x) v = float(std::normal_distribution<double>(0, 4)(rng));
      xf.push_back(x);
      xd.emplace_back(x.begin(), x.end());
      of.emplace_back(n);
      od.emplace_back(n);
    }
  }
  size_t k = 0;
  for (const ActivationSpec& spec : Catalog()) {
    const Call call = *MakeCall(spec.name, {}, Mode::kForward);
    for (int j = 0; j < 3; ++j, ++k) {
      jobs.push_back(Job{call, DType::kFloat32, xf[k].size(), xf[k].data(), nullptr, of[k].data()});
      jobs.push_back(Job{call, DType::kFloat64, xd[k].size(), xd[k].data(), nullptr, od[k].data()});
    }
  }
  ASSERT_TRUE(engine.Run(jobs).ok());
  for (size_t i = 0; i < xf.size(); ++i) {
    std::vector<float> s(xf[i].size());
    std::vector<double> t(xd[i].size());
    RunSerial(Job{jobs[2 * i].call, DType::kFloat32, s.size(), xf[i].data(), nullptr, s.data()});
    RunSerial(Job{jobs[2 * i].call, DType::kFloat64, t.size(), xd[i].data(), nullptr, t.data()});
    ASSERT_EQ(std::memcmp(s.data(), of[i].data(), s.size() * sizeof(float)), 0) << i;
    ASSERT_EQ(std::memcmp(t.data(), od[i].data(), t.size() * sizeof(double)), 0) << i;
  }
}

// 64-byte aligned storage for n elements starting `offset` elements past a
// cache line, so a test can place arrays against the lines on purpose.
template <typename T>
struct LineOffsetArray {
  LineOffsetArray(std::size_t n, std::size_t offset) : storage(n + 64 / sizeof(T) + offset) {
    const auto addr = reinterpret_cast<std::uintptr_t>(storage.data());
    data = storage.data() + (64 - addr % 64) % 64 / sizeof(T) + offset;
  }
  std::vector<T> storage;
  T* data;
};

// A job past kernels.h's kStreamFootprint stores its results non-temporally
// (kernels.cc, ComputeStreaming): the same bits as the same elements computed
// in jobs below it, for outputs on a line, off a line (the head before the
// first line boundary takes ordinary stores), a second output on another
// offset than the first (ordinary stores throughout), in place, and in
// parallel ranges.
template <typename T>
void CheckLargeJobsStreamTheSameBits(DType dt) {
  const std::size_t n = internal::kStreamFootprint / (2 * sizeof(T)) + 4099;
  std::mt19937 rng(17);
  std::vector<T> x(n), g(n);
  for (auto& v : x) v = T(std::normal_distribution<double>(0, 5)(rng));
  for (auto& v : g) v = T(std::normal_distribution<double>(0, 1)(rng));
  x[5] = std::numeric_limits<T>::quiet_NaN();  // NaN lanes, in the head
  x[n - 1000] = std::numeric_limits<T>::quiet_NaN();
  x[n / 2] = -std::numeric_limits<T>::infinity();
  g[n / 3] = std::numeric_limits<T>::infinity();
  std::vector<T> want(n), want_d(n);
  Options opt;
  opt.threads = 2;
  opt.parallel_threshold = 1000;
  const Engine engine(opt);
  struct Layout {
    std::size_t out, out2;  // element offsets against a 64-byte line
    bool parallel;
  };
  // One of each path through the driver: float32 in its own lanes with the
  // NaN restore (relu), without it (hardshrink's forward), with the
  // exponential (sigmoid), in float64 lanes on some targets (hardswish,
  // tanhshrink), f and f' in different lanes (softshrink: two passes); the
  // modes from y of a kernel that streams only those (tanh,
  // kStreamFromOutput) and of one that streams none of its modes (sigmoid).
  struct ModeKind {
    Mode mode;
    InputKind kind;
  };
  for (const char* name : {"relu", "hardshrink", "sigmoid", "hardswish", "tanhshrink",
                           "softshrink", "tanh"}) {
    const ActivationSpec& spec = *FindSpec(name);
    for (const ModeKind mk : {ModeKind{Mode::kForward, InputKind::kX},
                              ModeKind{Mode::kForwardAndDerivative, InputKind::kX},
                              ModeKind{Mode::kBackward, InputKind::kX},
                              ModeKind{Mode::kDerivative, InputKind::kOutput},
                              ModeKind{Mode::kBackward, InputKind::kOutput}}) {
      if (mk.kind == InputKind::kOutput && !spec.derivative_from_output) continue;
      const Mode mode = mk.mode;
      const Call call = *MakeCall(spec.name, {}, mode, mk.kind);
      // The expected bits: the same elements in jobs far below the threshold.
      constexpr std::size_t kPiece = 1 << 16;
      for (std::size_t i = 0; i < n; i += kPiece) {
        RunSerial(Job{call, dt, std::min(kPiece, n - i), &x[i], &g[i], &want[i], &want_d[i]});
      }
      const bool both = mode == Mode::kForwardAndDerivative;
      for (const Layout& at : {Layout{0, 0, false}, Layout{1, 1, false}, Layout{0, 3, false},
                               Layout{2, 2, true}}) {
        if (!both && at.out != at.out2) continue;
        SCOPED_TRACE(std::string(spec.name) + " " + std::string(ModeName(mode)) +
                     (mk.kind == InputKind::kOutput ? " (from y) " : " ") +
                     std::string(DTypeName(dt)) + " out +" + std::to_string(at.out) +
                     " out2 +" + std::to_string(at.out2) + (at.parallel ? " parallel" : ""));
        LineOffsetArray<T> out(n, at.out), out2(n, at.out2);
        const Job job{call, dt, n, x.data(), g.data(), out.data, out2.data};
        if (at.parallel) {
          ASSERT_TRUE(engine.Run({&job, 1}).ok());
        } else {
          RunSerial(job);
        }
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_TRUE(SameBits(out.data[i], want[i])) << i;
          if (both) {
            ASSERT_TRUE(SameBits(out2.data[i], want_d[i])) << i;
          }
        }
      }
      if (mode == Mode::kForward) {  // in place, off a line
        LineOffsetArray<T> inplace(n, 1);
        std::copy(x.begin(), x.end(), inplace.data);
        RunSerial(Job{call, dt, n, inplace.data, nullptr, inplace.data});
        for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(SameBits(inplace.data[i], want[i])) << i;
      }
    }
  }
}

// On every compiled target this CPU runs (the stores differ per target:
// SSE4 demotes float32-via-float64 results to 8-byte vectors).
template <typename T>
void CheckLargeJobsOnEveryTarget(DType dt) {
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    CheckLargeJobsStreamTheSameBits<T>(dt);
  }
  hwy::SetSupportedTargetsForTest(0);
}
TEST(EvaluateTest, LargeJobsStreamTheSameBitsFloat) {
  CheckLargeJobsOnEveryTarget<float>(DType::kFloat32);
}
TEST(EvaluateTest, LargeJobsStreamTheSameBitsDouble) {
  CheckLargeJobsOnEveryTarget<double>(DType::kFloat64);
}

// A float64 job past kernels.h's kNarrowFootprint (and within
// kStreamFootprint) runs the forward of the kernels that say kNarrowPastL2
// in 256-bit vectors on the 512-bit targets (kernels.cc NarrowsPastL2): the
// same bits as the same elements in jobs below the footprint (full-width
// vectors), for every mode (the others must not change either), from x and
// from y, with NaN, infinities, a tail, in place and in parallel ranges; on
// every target this CPU runs (only AVX3 narrows; the others must not change).
void CheckNarrowJobsGiveTheSameBits() {
  using T = double;
  const DType dt = DType::kFloat64;
  // Past the footprint with two arrays, within kStreamFootprint with three;
  // not a multiple of any vector.
  const std::size_t n = internal::kNarrowFootprint / (2 * sizeof(T)) + 4099;
  ASSERT_LE(3 * n * sizeof(T), internal::kStreamFootprint);
  std::mt19937 rng(23);
  std::vector<T> x(n), g(n);
  for (auto& v : x) v = T(std::normal_distribution<double>(0, 5)(rng));
  for (auto& v : g) v = T(std::normal_distribution<double>(0, 1)(rng));
  x[3] = std::numeric_limits<T>::quiet_NaN();
  x[n - 2] = -std::numeric_limits<T>::quiet_NaN();
  x[n / 2] = -std::numeric_limits<T>::infinity();
  x[n / 2 + 1] = std::numeric_limits<T>::infinity();
  x[n / 2 + 2] = -0.0;
  x[n / 2 + 3] = std::numeric_limits<T>::denorm_min();
  g[n / 3] = std::numeric_limits<T>::infinity();
  g[n / 3 + 1] = std::numeric_limits<T>::quiet_NaN();
  g[n / 3 + 2] = 0x1p600;
  Options opt;
  opt.threads = 2;
  opt.parallel_threshold = 1000;
  const Engine engine(opt);
  std::vector<T> want(n), want_d(n), out(n), out2(n);
  for (const char* name : {"relu", "relu6", "hardtanh", "hardshrink", "softshrink", "threshold",
                           "leaky_relu", "sigmoid"}) {
    const ActivationSpec& spec = *FindSpec(name);
    for (Mode mode : {Mode::kForward, Mode::kDerivative, Mode::kForwardAndDerivative,
                      Mode::kBackward}) {
      for (InputKind kind : {InputKind::kX, InputKind::kOutput}) {
        const absl::StatusOr<Call> call = MakeCall(spec.name, {}, mode, kind);
        if (!call.ok()) continue;  // from y where f' needs x
        constexpr std::size_t kPiece = 1 << 14;
        for (std::size_t i = 0; i < n; i += kPiece) {
          RunSerial(Job{*call, dt, std::min(kPiece, n - i), &x[i], &g[i], &want[i], &want_d[i]});
        }
        const bool both = mode == Mode::kForwardAndDerivative;
        for (const bool parallel : {false, true}) {
          SCOPED_TRACE(std::string(spec.name) + " " + std::string(ModeName(mode)) +
                       (kind == InputKind::kOutput ? " from y" : "") +
                       (parallel ? " parallel" : ""));
          std::fill(out.begin(), out.end(), T(7));
          std::fill(out2.begin(), out2.end(), T(7));
          const Job job{*call, dt, n, x.data(), g.data(), out.data(), out2.data()};
          if (parallel) {
            ASSERT_TRUE(engine.Run({&job, 1}).ok());
          } else {
            RunSerial(job);
          }
          for (std::size_t i = 0; i < n; ++i) {
            ASSERT_TRUE(SameBits(out[i], want[i])) << i;
            if (both) {
              ASSERT_TRUE(SameBits(out2[i], want_d[i])) << i;
            }
          }
        }
        if (mode == Mode::kForward) {  // in place
          std::vector<T> inplace(x);
          RunSerial(Job{*call, dt, n, inplace.data(), nullptr, inplace.data()});
          for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(SameBits(inplace[i], want[i])) << i;
        }
      }
    }
  }
}
TEST(EvaluateTest, NarrowJobsGiveTheSameBitsDouble) {
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    CheckNarrowJobsGiveTheSameBits();
  }
  hwy::SetSupportedTargetsForTest(0);
}

// The backward pair hook (kernels.cc LoopBackwardPairs; silu and swish at
// beta = 1 on AVX-512, session 30; softplus at beta = 1, session 31): a
// whole job gives the bits of one element at a time (the drivers' tail, one
// vector), with gradients outside the common range (inf, NaN, tiny, huge,
// 0: a pair whose only such gradients are zeros takes the pair path) and x
// near f''s zero (the float32 kernel's rare branch), NaN and +-inf in
// either vector of a pair, x in softplus' linear branch, an odd whole
// vector and a tail after the pairs; swish beta = 1.37 and softplus with a
// beta or a threshold of its own alongside. The forward too (its pair hook,
// LoopForwardPairs: softplus float32 and float64 at beta = 1, NaN lanes
// kept by the kernel itself).
template <typename T>
void CheckBackwardPairsGiveTheSameBits(DType dt) {
  constexpr std::size_t n = 16 * 2 * 6 + 16 + 5;
  std::vector<T> x(n), g(n), want(n), out(n);
  std::mt19937 rng(53);
  std::normal_distribution<double> xd(0.0, 3.0), gd(0.0, 1.0);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<T>(xd(rng));
    g[i] = static_cast<T>(gd(rng));
  }
  const T inf = std::numeric_limits<T>::infinity();
  const T huge = sizeof(T) == 4 ? T(0x1p70f) : T(0x1p600);
  const T tiny = sizeof(T) == 4 ? T(0x1p-100f) : T(0x1p-1000);
  g[3] = inf;
  g[8 + 2] = std::numeric_limits<T>::quiet_NaN();
  g[16 + 5] = tiny;
  g[40] = huge;
  g[64 + 9] = T(0);
  g[100] = -inf;
  // Pairs with zeros only (the pair path), and a zero beside a tiny g.
  g[161] = T(0);
  g[179] = -T(0);
  g[184] = T(0);
  g[129] = T(0);
  g[150] = tiny;
  x[33] = T(-1.2784645557403564f);
  x[48 + 1] = T(-1.2785f);
  x[130] = std::numeric_limits<T>::quiet_NaN();
  x[131] = inf;
  x[140] = -inf;
  x[n - 2] = T(-1.2784645557403564f);
  // softplus' linear branch (beyond the threshold; with the threshold 1.5
  // below, many more), and its lower tail.
  x[20] = T(25);
  x[64 + 3] = T(21);
  x[150 + 1] = T(-30);
  x[165] = T(-800);
  const std::pair<const char*, Params> kCases[] = {
      {"silu", {}},
      {"swish", {}},
      {"swish", {{"beta", 1.37}}},
      {"softplus", {}},
      {"softplus", {{"beta", 1.37}}},
      {"softplus", {{"threshold", 1.5}}},
      {"softplus", {{"beta", 0.25}, {"threshold", 0.5}}},
  };
  for (const auto& [name, p] : kCases) {
    for (const Mode mode : {Mode::kBackward, Mode::kForward}) {
      const Call call = *MakeCall(name, p, mode);
      ::testing::Message trace;
      trace << name;
      for (const auto& [k, v] : p) trace << " " << k << "=" << v;
      trace << " mode " << int(mode) << " " << DTypeName(dt);
      SCOPED_TRACE(trace);
      for (std::size_t i = 0; i < n; ++i) {
        RunSerial(Job{call, dt, 1, &x[i], &g[i], &want[i]});
      }
      for (const std::size_t len : {n, n - 5, std::size_t{64}, std::size_t{33}}) {
        std::fill(out.begin(), out.end(), T(7));
        RunSerial(Job{call, dt, len, x.data(), g.data(), out.data()});
        for (std::size_t i = 0; i < len; ++i) ASSERT_TRUE(SameBits(out[i], want[i])) << len << " " << i;
      }
    }
  }
}
TEST(EvaluateTest, BackwardPairsGiveTheSameBits) {
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    CheckBackwardPairsGiveTheSameBits<float>(DType::kFloat32);
    CheckBackwardPairsGiveTheSameBits<double>(DType::kFloat64);
  }
  hwy::SetSupportedTargetsForTest(0);
}

// The derivative's and forward_and_derivative's pair hooks (kernels.cc
// LoopFromXPairs: a kernel's OrderPair, or SlopePair with a Unit g; session
// 31: sigmoid, silu, swish, gelu, mish): a whole job gives the bits of one
// element at a time (the drivers' tail, one vector) in both outputs, with
// NaN, +-inf, +-0, subnormal, tiny and huge x and x near f''s zero (silu's,
// swish's, gelu's, mish's rare branches) in either vector of a pair, an odd
// whole vector and a tail after the pairs; swish beta = 1.37 alongside.
template <typename T>
void CheckFromXPairsGiveTheSameBits(DType dt) {
  constexpr std::size_t n = 16 * 2 * 6 + 16 + 5;
  std::vector<T> x(n), want(n), want_d(n), out(n), d(n);
  std::mt19937 rng(55);
  std::normal_distribution<double> xd(0.0, 3.0);
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<T>(xd(rng));
  const T inf = std::numeric_limits<T>::infinity();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T huge = std::numeric_limits<T>::max();
  const T tiny = std::numeric_limits<T>::denorm_min();
  const T special[] = {nan, inf, -inf, T(0), -T(0), tiny, -tiny, huge, -huge,
                       T(1e-30), T(-1e-30), T(-90), T(-800), T(100),
                       T(-1.2784645557403564f), T(-1.2785f), T(-0.7518f), T(-1.1924f)};
  // Spread over the first vector of a pair, the second, the odd vector
  // and the tail, for every vector width (4 to 16 lanes).
  std::size_t at = 1;
  for (const T v : special) {
    x[at % n] = v;
    at += 13;
  }
  x[n - 1] = nan;
  x[n - 3] = -inf;
  for (const Params& p : {Params{}, Params{{"beta", 1.37}}}) {
    for (const char* name : {"sigmoid", "silu", "swish", "gelu", "mish"}) {
      if (std::string_view(name) != "swish" && !p.empty()) continue;
      for (const Mode mode : {Mode::kDerivative, Mode::kForwardAndDerivative}) {
        const Call call = *MakeCall(name, p, mode);
        const bool both = mode == Mode::kForwardAndDerivative;
        SCOPED_TRACE(std::string(name) + (p.empty() ? "" : " beta 1.37") + " " +
                     std::string(ModeName(mode)) + " " + std::string(DTypeName(dt)));
        for (std::size_t i = 0; i < n; ++i) {
          RunSerial(Job{call, dt, 1, &x[i], nullptr, &want[i], both ? &want_d[i] : nullptr});
        }
        for (const std::size_t len : {n, n - 5, std::size_t{64}, std::size_t{33}}) {
          std::fill(out.begin(), out.end(), T(7));
          std::fill(d.begin(), d.end(), T(7));
          RunSerial(Job{call, dt, len, x.data(), nullptr, out.data(), both ? d.data() : nullptr});
          for (std::size_t i = 0; i < len; ++i) {
            ASSERT_TRUE(SameBits(out[i], want[i])) << len << " " << i << " x=" << double(x[i]);
            if (both) {
              ASSERT_TRUE(SameBits(d[i], want_d[i])) << len << " " << i << " x=" << double(x[i]);
            }
          }
        }
      }
    }
  }
}
TEST(EvaluateTest, DerivativePairsGiveTheSameBits) {
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    CheckFromXPairsGiveTheSameBits<float>(DType::kFloat32);
    CheckFromXPairsGiveTheSameBits<double>(DType::kFloat64);
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(EngineTest, NullBuffersAreRejected) {
  const Engine engine;
  const Call call = *MakeCall("sigmoid", {}, Mode::kBackward);
  float x[4] = {}, out[4];
  const Job job{call, DType::kFloat32, 4, x, nullptr, out};
  const absl::Status s = engine.Run({&job, 1});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(StatusMessage(s), HasSubstr("grad is null"));
}

TEST(EngineTest, CancellationStopsBetweenChunks) {
  Options opt;
  opt.threads = 2;
  opt.parallel_threshold = 1 << 10;
  opt.chunk_elements = 1 << 10;
  const Engine engine(opt);
  std::vector<double> x(1 << 20, 1.0), out(x.size());
  const Job job{*MakeCall("gelu", {}, Mode::kForward), DType::kFloat64, x.size(), x.data(),
                nullptr, out.data()};
  std::atomic<int> polls{0};
  const absl::Status s = engine.Run({&job, 1}, [&] { return ++polls > 3; });
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  EXPECT_LT(polls.load(), 1 << 10);  // stopped long before every chunk ran
}

TEST(EngineTest, EnqueueCallsDoneOnceOffTheCallingThread) {
  Options opt;
  opt.threads = 2;
  opt.parallel_threshold = 1 << 12;
  const Engine engine(opt);
  std::vector<float> x(1 << 16, 0.5f), out(x.size());
  absl::Notification done;
  std::atomic<int> calls{0};
  std::thread::id done_thread;
  engine.Enqueue({Job{*MakeCall("tanh", {}, Mode::kForward), DType::kFloat32, x.size(), x.data(),
                      nullptr, out.data()}},
                 nullptr, [&](absl::Status s) {
                   EXPECT_TRUE(s.ok()) << s;
                   done_thread = std::this_thread::get_id();
                   ++calls;
                   done.Notify();
                 });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE(done_thread, std::this_thread::get_id());
  // The work was done: the last element holds tanh(0.5), within the bound.
  const Call call = *MakeCall("tanh", {}, Mode::kForward);
  EXPECT_LE(reference::UlpError<float>(out.back(), std::tanh(0.5L)),
            MaxUlpError(call, DType::kFloat32));
}

TEST(EngineTest, WorkersRunAtTheRequestedLowerPriority) {
  Options opt;
  opt.threads = 2;
  opt.parallel_threshold = 1 << 10;
  opt.chunk_elements = 1 << 10;
  opt.worker_nice = 3;
  const Engine engine(opt);
  const int base = getpriority(PRIO_PROCESS, 0);
  std::vector<float> x(1 << 16, 0.5f), out(x.size());
  absl::Notification done;
  std::atomic<int> seen{-100};
  // The cancellation poll runs on the thread computing a chunk: a worker.
  engine.Enqueue({Job{*MakeCall("tanh", {}, Mode::kForward), DType::kFloat32, x.size(), x.data(),
                      nullptr, out.data()}},
                 [&] {
                   seen = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
                   return false;
                 },
                 [&](absl::Status) { done.Notify(); });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(seen.load(), std::min(base + 3, 19));
  EXPECT_EQ(getpriority(PRIO_PROCESS, 0), base);  // the caller is untouched
}

TEST(EngineTest, QueuedWorkAlreadyCancelledIsNotStarted) {
  Options opt;
  opt.threads = 1;
  opt.parallel_threshold = 1 << 12;
  const Engine engine(opt);
  std::vector<float> x(1 << 16, 0.5f), out(x.size(), -7.0f);
  absl::Notification done;
  absl::Status result;
  engine.Enqueue({Job{*MakeCall("tanh", {}, Mode::kForward), DType::kFloat32, x.size(), x.data(),
                      nullptr, out.data()}},
                 [] { return true; },  // e.g. its deadline passed while it waited
                 [&](absl::Status s) {
                   result = s;
                   done.Notify();
                 });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(result.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(out.front(), -7.0f);  // not a value was computed
  EXPECT_EQ(out.back(), -7.0f);
}

// The engine's destructor waited for nothing (session 28's local CI, under
// ASan, rarely: a server's last call, cancelled, still held its jobs on a
// worker -- freed by oneTBB after the task's body returned -- when the
// process exited, and LeakSanitizer reported them). Now it waits until every
// queued call's `done` has returned and what the call handed over is gone.
TEST(EngineTest, DestroyingTheEngineWaitsForQueuedWork) {
  Options opt;
  opt.threads = 1;
  opt.parallel_threshold = 1 << 12;
  auto engine = std::make_unique<Engine>(opt);
  constexpr int kCalls = 3;
  std::vector<std::vector<float>> x(kCalls, std::vector<float>(1 << 16, 0.5f));
  std::vector<std::vector<float>> out(kCalls, std::vector<float>(1 << 16));
  // Held by each call's callbacks: the count falls back to 1 once the engine
  // has destroyed them.
  const auto token = std::make_shared<int>(0);
  absl::Notification first_started;
  std::atomic<int> finished{0};
  for (int i = 0; i < kCalls; ++i) {
    engine->Enqueue({Job{*MakeCall("tanh", {}, Mode::kForward), DType::kFloat32, x[i].size(),
                         x[i].data(), nullptr, out[i].data()}},
                    [token] { return false; },
                    [&, token, i](absl::Status s) {
                      EXPECT_TRUE(s.ok()) << s;
                      if (i == 0) {
                        first_started.Notify();
                        // The destructor is called while this call is still
                        // in its `done` and the others still queued.
                        absl::SleepFor(absl::Milliseconds(200));
                      }
                      finished.fetch_add(1);
                    });
  }
  ASSERT_TRUE(first_started.WaitForNotificationWithTimeout(absl::Seconds(30)));
  engine.reset();
  EXPECT_EQ(finished.load(), kCalls);
  EXPECT_EQ(token.use_count(), 1) << "a queued call's callbacks outlived the engine";
  // The last call, queued behind the others, was computed.
  std::vector<float> expected(x[0].size());
  RunSerial(Job{*MakeCall("tanh", {}, Mode::kForward), DType::kFloat32, x[0].size(), x[0].data(),
                nullptr, expected.data()});
  EXPECT_EQ(out[kCalls - 1], expected);
}

// Before session 26 the arena kept a slot for a joining caller and oneTBB
// started one worker fewer than the cores: work queued by Enqueue -- every
// large server call -- ran on one thread however it was split.
TEST(EngineTest, QueuedWorkRunsOnEveryThread) {
  Options opt;
  opt.threads = 2;
  opt.parallel_threshold = 1 << 12;
  opt.chunk_elements = 1 << 12;
  const Engine engine(opt);
  std::vector<float> x(1 << 20, 0.5f), out(x.size());
  absl::Mutex mu;
  std::vector<long> tids;
  absl::Notification done;
  // The first chunk waits (up to 20 s) until another thread has taken a
  // chunk. The first poll, before the work starts, is not a chunk's.
  std::atomic<int> polls{0};
  bool waited = false;  // guarded by mu
  engine.Enqueue({Job{*MakeCall("tanh", {}, Mode::kForward), DType::kFloat32, x.size(), x.data(),
                      nullptr, out.data()}},
                 [&] {
                   if (polls.fetch_add(1) == 0) return false;
                   const long tid = syscall(SYS_gettid);
                   absl::MutexLock lock(&mu);
                   if (std::find(tids.begin(), tids.end(), tid) == tids.end()) tids.push_back(tid);
                   if (tids.size() == 1 && !waited) {
                     waited = true;
                     mu.AwaitWithTimeout(absl::Condition(
                                             +[](std::vector<long>* t) { return t->size() > 1; },
                                             &tids),
                                         absl::Seconds(20));
                   }
                   return false;
                 },
                 [&](absl::Status s) {
                   EXPECT_TRUE(s.ok()) << s;
                   done.Notify();
                 });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(120)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(tids.size(), 2u) << "a queued call's chunks ran on one thread";
}

// Options::split_when_busy = false (the server's default): a call is split
// only when no other is queued or computing and the caller has no other work
// waiting; otherwise it runs whole on one thread, with the same bits.
TEST(EngineTest, SplitsACallOnlyWhenItIsAlone) {
  Options opt;
  opt.threads = 2;
  opt.parallel_threshold = 1 << 12;
  opt.chunk_elements = 1 << 12;
  const Engine engine(opt);
  const Call call = *MakeCall("gelu", {}, Mode::kForward);
  std::vector<float> x(1 << 16);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -8.0f + 16.0f * static_cast<float>(i) / x.size();
  std::vector<float> want(x.size());
  RunSerial(Job{call, DType::kFloat32, x.size(), x.data(), nullptr, want.data()});
  auto job_into = [&](std::vector<float>& out) {
    out.assign(x.size(), -7.0f);
    return Job{call, DType::kFloat32, x.size(), x.data(), nullptr, out.data()};
  };
  auto wait = [](absl::Notification& n) { return n.WaitForNotificationWithTimeout(absl::Seconds(60)); };

  // Alone: split.
  std::vector<float> out_a;
  ASSERT_TRUE(engine.Run(std::vector<Job>{job_into(out_a)}).ok());
  EXPECT_EQ(engine.split_counts().split, 1u);
  EXPECT_EQ(engine.split_counts().one_thread, 0u);

  // A queued call is held at its start (its first cancellation poll) ...
  absl::Notification held, release, held_done;
  std::vector<float> out_held;
  engine.Enqueue({job_into(out_held)},
                 [&, first = std::make_shared<std::atomic<bool>>(true)] {
                   if (first->exchange(false)) {
                     held.Notify();
                     release.WaitForNotificationWithTimeout(absl::Seconds(60));
                   }
                   return false;
                 },
                 [&](absl::Status s) {
                   EXPECT_TRUE(s.ok()) << s;
                   held_done.Notify();
                 });
  ASSERT_TRUE(wait(held));
  // ... so a call run meanwhile is not split, nor one queued meanwhile (it
  // runs on the other thread).
  std::vector<float> out_b, out_c;
  ASSERT_TRUE(engine.Run(std::vector<Job>{job_into(out_b)}).ok());
  EXPECT_EQ(engine.split_counts().one_thread, 1u) << "split while another call was in flight";
  absl::Notification c_done;
  engine.Enqueue({job_into(out_c)}, nullptr, [&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    c_done.Notify();
  });
  ASSERT_TRUE(wait(c_done)) << "a queued call did not run beside a held one";
  EXPECT_EQ(engine.split_counts().one_thread, 2u) << "split while another call was in flight";
  EXPECT_EQ(engine.split_counts().split, 1u);
  // Released, the held call is alone again: split.
  release.Notify();
  ASSERT_TRUE(wait(held_done));
  EXPECT_EQ(engine.split_counts().split, 2u);

  // The caller's hint alone keeps a lone call whole.
  std::vector<float> out_d;
  absl::Notification d_done;
  engine.Enqueue({job_into(out_d)}, nullptr, [&](absl::Status) { d_done.Notify(); },
                 /*others_waiting=*/true);
  ASSERT_TRUE(wait(d_done));
  EXPECT_EQ(engine.split_counts().one_thread, 3u);
  EXPECT_EQ(engine.split_counts().split, 2u);

  for (const std::vector<float>* out : {&out_a, &out_held, &out_b, &out_c, &out_d}) {
    EXPECT_EQ(std::memcmp(out->data(), want.data(), want.size() * sizeof(float)), 0);
  }

  // split_when_busy: split whatever the hint says.
  opt.split_when_busy = true;
  const Engine always(opt);
  std::vector<float> out_e;
  absl::Notification e_done;
  always.Enqueue({job_into(out_e)}, nullptr, [&](absl::Status) { e_done.Notify(); },
                 /*others_waiting=*/true);
  ASSERT_TRUE(wait(e_done));
  EXPECT_EQ(always.split_counts().split, 1u);
  EXPECT_EQ(always.split_counts().one_thread, 0u);
  EXPECT_EQ(std::memcmp(out_e.data(), want.data(), want.size() * sizeof(float)), 0);
}

// The figures the issue quotes, computed by the kernels in float32.
float ComputeF32(std::string_view fn, Mode mode, float x, const Params& p = {}) {
  float out, d;
  RunSerial(Job{*MakeCall(fn, p, mode), DType::kFloat32, 1, &x, nullptr, &out, &d});
  return out;
}

TEST(EvaluateTest, TailsKeepFullPrecision) {
  EXPECT_NEAR(ComputeF32("sigmoid", Mode::kForward, -100) / 3.7200759760208361e-44, 1, 0.05);
  EXPECT_EQ(ComputeF32("softplus", Mode::kForward, 1000), 1000);
  EXPECT_NEAR(ComputeF32("tanh", Mode::kDerivative, 10) / 8.2446144e-09f, 1, 1e-6);
  EXPECT_NEAR(ComputeF32("tanh", Mode::kDerivative, -10) / 8.2446144e-09f, 1, 1e-6);
  EXPECT_GT(ComputeF32("sigmoid", Mode::kDerivative, -50), 0);
  EXPECT_GT(ComputeF32("silu", Mode::kForward, -90), -1e-30);
  EXPECT_LT(ComputeF32("silu", Mode::kForward, -90), 0);  // normal, not flushed
  EXPECT_NEAR(ComputeF32("mish", Mode::kDerivative, 20), 1, 1e-6);
}

TEST(EvaluateTest, NanPropagatesAndInfinitiesGiveTheLimits) {
  for (const ActivationSpec& spec : Catalog()) {
    if (!spec.elementwise) continue;  // line-wise: tested on lines
    for (Mode mode : {Mode::kForward, Mode::kDerivative, Mode::kBackward}) {
      SCOPED_TRACE(std::string(spec.name) + " " + std::string(ModeName(mode)));
      const Call call = *MakeCall(spec.name, {}, mode);
      double x[3] = {std::nan(""), INFINITY, -INFINITY}, g[3] = {1, 1, 1}, out[3];
      RunSerial(Job{call, DType::kFloat64, 3, x, g, out});
      EXPECT_TRUE(std::isnan(out[0]));
      for (int i = 1; i < 3; ++i) {
        // The limit, correctly rounded (selu's -scale * alpha is no double).
        const long double want = reference::Evaluate(call, x[i], g[i]).output;
        EXPECT_LE(reference::UlpError<double>(out[i], want), 0.5) << x[i] << " -> " << out[i];
      }
    }
  }
}

// A breakpoint given as a float64 parameter that no float32 represents is
// still compared exactly in float32: 0.1f > 0.1, so hardshrink(0.1f, lambd =
// 0.1) is 0.1f and threshold(0.1f, threshold = 0.1) passes x through, while
// the float32 just below 0.1 is cut. Comparing with the parameter rounded
// to float32 gets the first two wrong.
TEST(EvaluateTest, ExactBreakpoints) {
  const float above = 0.1f;  // 0.100000001490116...
  const float below = std::nextafter(above, 0.0f);
  ASSERT_GT(double(above), 0.1);
  ASSERT_LT(double(below), 0.1);
  const Params lambd = {{"lambd", 0.1}};
  EXPECT_EQ(ComputeF32("hardshrink", Mode::kForward, above, lambd), above);
  EXPECT_EQ(ComputeF32("hardshrink", Mode::kForward, below, lambd), 0);
  EXPECT_EQ(ComputeF32("hardshrink", Mode::kDerivative, above, lambd), 1);
  EXPECT_EQ(ComputeF32("softshrink", Mode::kDerivative, above, lambd), 1);
  EXPECT_EQ(ComputeF32("softshrink", Mode::kDerivative, below, lambd), 0);
  // x - lambd rounded once from the exact difference, not from 0.1f - 0.1f.
  EXPECT_EQ(ComputeF32("softshrink", Mode::kForward, above, lambd), float(double(above) - 0.1));
  const Params thr = {{"threshold", 0.1}, {"value", -1}};
  EXPECT_EQ(ComputeF32("threshold", Mode::kForward, above, thr), above);
  EXPECT_EQ(ComputeF32("threshold", Mode::kForward, below, thr), -1);
  const Params clamp = {{"min_val", -0.1}, {"max_val", 0.1}};
  EXPECT_EQ(ComputeF32("hardtanh", Mode::kDerivative, below, clamp), 1);
  EXPECT_EQ(ComputeF32("hardtanh", Mode::kDerivative, above, clamp), 0);
  EXPECT_EQ(ComputeF32("hardtanh", Mode::kDerivative, -below, clamp), 1);
  EXPECT_EQ(ComputeF32("hardtanh", Mode::kDerivative, -above, clamp), 0);
}

// Backward of the piecewise functions where f' = 0: a select, as PyTorch's
// kernels, so g = inf gives 0 there (not inf * 0 = NaN); a NaN g stays NaN.
TEST(EvaluateTest, FlatRegionsSelectTheGradient) {
  struct Case {
    const char* fn;
    double flat_x;  // where f' = 0 at the default parameters
  };
  for (const Case& c : {Case{"relu6", -100}, Case{"hardtanh", -100}, Case{"hardsigmoid", -100},
                        Case{"hardswish", -100}, Case{"softshrink", 0.25},
                        Case{"hardshrink", 0.25}, Case{"threshold", -100}}) {
    SCOPED_TRACE(c.fn);
    const Call call = *MakeCall(c.fn, {}, Mode::kBackward);
    double x[4] = {c.flat_x, c.flat_x, c.flat_x, 0.75};
    double g[4] = {INFINITY, -INFINITY, NAN, NAN}, out[4];
    RunSerial(Job{call, DType::kFloat64, 4, x, g, out});
    EXPECT_EQ(out[0], 0);
    EXPECT_EQ(out[1], 0);
    EXPECT_TRUE(std::isnan(out[2]));
    EXPECT_TRUE(std::isnan(out[3]));
  }
}

// softmax along a dim: the shape and dim are checked with messages naming
// the field; every dim of a 3-D tensor gives what the same dim gives on the
// contiguous copy where that dim is last; lines sum to 1; a NaN or +inf in
// a line makes that line NaN and no other; parallel equals serial.
TEST(LineWiseTest, SoftmaxAlongEveryDim) {
  const Params dim5 = {{"dim", 5}};
  const Call bad = *MakeCall("softmax", dim5, Mode::kForward);
  const std::int64_t shape[] = {2, 3, 4};
  EXPECT_EQ(StatusMessage(CheckShape(bad, shape, 24)),
            "params.dim: softmax: dim=5 is outside [-3, 2] for a tensor of rank 3");
  const Call ok = *MakeCall("softmax", {}, Mode::kForward);
  EXPECT_EQ(StatusMessage(CheckShape(ok, shape, 25)), "shape: [2, 3, 4] holds 24 elements, not 25");
  EXPECT_TRUE(CheckShape(ok, {}, 25).ok());
  const Params half = {{"dim", 0.5}};
  EXPECT_EQ(StatusMessage(MakeCall("softmax", half, Mode::kForward).status()),
            "params.dim: softmax: dim=0.5 is not a whole number");
  EXPECT_THAT(StatusMessage(MakeCall("softmax", {}, Mode::kDerivative).status()),
              HasSubstr("mode: softmax is not elementwise"));
  float x[4] = {1, 2, 3, 4}, out[4];
  const Job job{bad, DType::kFloat32, 4, x, nullptr, out};
  EXPECT_THAT(StatusMessage(Engine().Run({&job, 1})), HasSubstr("jobs[0].params.dim"));

  // [A, B, C] with A*B*C = 2*67*130: dim 2 is contiguous, dims 0 and 1 run
  // in column blocks (with a partial block: 130 = 2 * 64 + 2).
  const std::int64_t a = 2, b = 67, c = 130;
  const std::int64_t dims[] = {a, b, c};
  std::mt19937 rng(21);
  std::vector<double> t(a * b * c);
  for (auto& v : t) v = std::normal_distribution<double>(0, 4)(rng);
  t[5] = NAN;  // line (0, 0, :) along dim 2, line (:, 0, 5) along dim 0...
  for (const char* fn : {"softmax", "log_softmax"}) {
    for (std::int64_t dim = 0; dim < 3; ++dim) {
      SCOPED_TRACE(std::string(fn) + " dim=" + std::to_string(dim));
      const Params p = {{"dim", double(dim - 3 * (dim % 2))}};  // 0, -2, 2
      const Call call = *MakeCall(fn, p, Mode::kForward);
      std::vector<double> out(t.size());
      Job j{call, DType::kFloat64, t.size(), t.data(), nullptr, out.data()};
      j.shape = dims;
      RunSerial(j);
      // The same lines, made contiguous, as one 2-D job along its last dim.
      const std::int64_t n = dims[dim];
      const std::int64_t lines = a * b * c / n;
      std::vector<double> packed(t.size()), packed_out(t.size());
      std::vector<std::int64_t> where(t.size());
      std::int64_t line = 0;
      for (std::int64_t i0 = 0; i0 < (dim == 0 ? 1 : a); ++i0) {
        for (std::int64_t i1 = 0; i1 < (dim == 1 ? 1 : b); ++i1) {
          for (std::int64_t i2 = 0; i2 < (dim == 2 ? 1 : c); ++i2, ++line) {
            for (std::int64_t k = 0; k < n; ++k) {
              const std::int64_t idx = ((dim == 0 ? k : i0) * b + (dim == 1 ? k : i1)) * c +
                                       (dim == 2 ? k : i2);
              packed[line * n + k] = t[idx];
              where[line * n + k] = idx;
            }
          }
        }
      }
      ASSERT_EQ(line, lines);
      const std::int64_t packed_shape[] = {lines, n};
      Job pj{*MakeCall(fn, {}, Mode::kForward), DType::kFloat64, t.size(), packed.data(), nullptr,
             packed_out.data()};
      pj.shape = packed_shape;
      RunSerial(pj);
      int nan_lines = 0;
      for (std::int64_t l = 0; l < lines; ++l) {
        double sum = 0;
        for (std::int64_t k = 0; k < n; ++k) {
          const double got = out[where[l * n + k]];
          ASSERT_TRUE(SameBits(got, packed_out[l * n + k])) << l << " " << k;
          sum += std::string(fn) == "softmax" ? got : std::exp(got);
        }
        if (std::isnan(sum)) {
          ++nan_lines;
        } else {
          EXPECT_NEAR(sum, 1, 1e-12) << l;
        }
      }
      EXPECT_EQ(nan_lines, 1);  // the line through t[5], and only it
      // Parallel, in units of lines or column blocks: the same bits.
      Options opt;
      opt.threads = 2;
      opt.parallel_threshold = 100;
      opt.chunk_elements = 300;
      std::vector<double> par(t.size());
      j.output = par.data();
      ASSERT_TRUE(Engine(opt).Run({&j, 1}).ok());
      ASSERT_EQ(std::memcmp(par.data(), out.data(), out.size() * sizeof(double)), 0);
    }
  }
}

// As PyTorch: softmax([inf, 0]) and softmax([-inf, -inf]) are NaN lines,
// softmax([-inf, 0]) = [0, 1]; one element gives 1 (log: 0); a line of
// length 0 is an empty tensor.
TEST(LineWiseTest, SpecialLines) {
  auto run = [](const char* fn, std::vector<double> x) {
    std::vector<double> out(x.size());
    RunSerial(Job{*MakeCall(fn, {}, Mode::kForward), DType::kFloat64, x.size(), x.data(),
                  nullptr, out.data()});
    return out;
  };
  EXPECT_TRUE(std::isnan(run("softmax", {INFINITY, 0})[1]));
  EXPECT_TRUE(std::isnan(run("softmax", {-INFINITY, -INFINITY})[0]));
  EXPECT_EQ(run("softmax", {-INFINITY, 0}), (std::vector<double>{0, 1}));
  EXPECT_EQ(run("log_softmax", {-INFINITY, 0}), (std::vector<double>{-INFINITY, 0}));
  EXPECT_EQ(run("softmax", {42}), (std::vector<double>{1}));
  EXPECT_EQ(run("log_softmax", {-1e300}), (std::vector<double>{0}));
  // log_softmax of a dominant element: -log1p(exp(-50)), not 0.
  EXPECT_NEAR(run("log_softmax", {50, 0})[0] / -1.9287498479639178e-22, 1, 1e-15);
  const std::int64_t empty[] = {3, 0};
  Job job{*MakeCall("softmax", {}, Mode::kForward), DType::kFloat32, 0, nullptr, nullptr, nullptr};
  job.shape = empty;
  EXPECT_TRUE(Engine().Run({&job, 1}).ok());
}

// --- The catalogue's claims, checked against the library's own numbers. ---

struct Curve {
  std::vector<double> x, f, df;
};

Curve Sample(const ActivationSpec& spec, double lo, double hi, size_t n) {
  Curve c;
  c.x.resize(n);
  for (size_t i = 0; i < n; ++i) c.x[i] = lo + (hi - lo) * double(i) / double(n - 1);
  c.f.resize(n);
  c.df.resize(n);
  if (!spec.elementwise) {
    // y_0 of the line [x, 0] as a function of x, and its derivative: the
    // backward with g = [1, 0] gives dy_0/dx_0.
    std::vector<double> rows(2 * n, 0.0), g(2 * n, 0.0), out(2 * n);
    for (size_t i = 0; i < n; ++i) {
      rows[2 * i] = c.x[i];
      g[2 * i] = 1;
    }
    const std::int64_t shape[] = {static_cast<std::int64_t>(n), 2};
    Job job{*MakeCall(spec.name, {}, Mode::kForward), DType::kFloat64, 2 * n, rows.data(),
            nullptr, out.data()};
    job.shape = shape;
    RunSerial(job);
    for (size_t i = 0; i < n; ++i) c.f[i] = out[2 * i];
    job.call = *MakeCall(spec.name, {}, Mode::kBackward);
    job.grad = g.data();
    RunSerial(job);
    for (size_t i = 0; i < n; ++i) c.df[i] = out[2 * i];
    return c;
  }
  RunSerial(Job{*MakeCall(spec.name, {}, Mode::kForwardAndDerivative), DType::kFloat64, n,
                c.x.data(), nullptr, c.f.data(), c.df.data()});
  return c;
}

TEST(PropertiesTest, CatalogueClaimsHoldNumerically) {
  for (const ActivationSpec& spec : Catalog()) {
    SCOPED_TRACE(std::string(spec.name));
    const Curve c = Sample(spec, -40, 40, 400001);
    const Properties& p = spec.properties;
    const double fmin = *std::min_element(c.f.begin(), c.f.end());
    const double fmax = *std::max_element(c.f.begin(), c.f.end());
    const double dmin = *std::min_element(c.df.begin(), c.df.end());
    // monotonic <=> f' >= 0 everywhere on the grid.
    EXPECT_EQ(p.monotonic, dmin >= 0) << "min f' = " << dmin;
    // Bounded claims agree with the output range, and the values lie in it.
    EXPECT_EQ(p.bounded_below, std::isfinite(spec.output_range.min));
    EXPECT_EQ(p.bounded_above, std::isfinite(spec.output_range.max));
    EXPECT_GE(fmin, spec.output_range.min - 1e-12);
    EXPECT_LE(fmax, spec.output_range.max + 1e-12);
    if (p.bounded_below && spec.output_range.min_inclusive) {
      EXPECT_NEAR(fmin, spec.output_range.min, 1e-9);  // the minimum is attained
    }
    // Unbounded sides really grow: far beyond anything a bounded f reaches
    // (tanhshrink(40) = 39).
    if (!p.bounded_above) {
      EXPECT_GT(fmax, 20);
    }
    if (!p.bounded_below) {
      EXPECT_LT(fmin, -0.39);  // leaky_relu: 0.01 * -40
    }
    // zero_centered <=> f(0) = 0 and f takes both signs.
    const double f0 = c.f[c.f.size() / 2];
    EXPECT_EQ(p.zero_centered, f0 == 0 && fmin < 0 && fmax > 0) << f0;
    // saturating <=> f' -> 0 at both ends (softsign's f' ~ 1/x^2 is 6e-4
    // at 40; a non-saturating end keeps |f'| near 1 or more).
    EXPECT_EQ(p.saturating, std::fabs(c.df.front()) < 1e-3 && std::fabs(c.df.back()) < 1e-3);
    // smooth <=> f' has no jump: successive f' on the whole grid (step
    // 2e-4: a smooth f' moves by |f''| 2e-4 there) and on a finer grid
    // around 0 (where relu's kink is) differ by little. A kink anywhere
    // (relu6 at 6, hardsigmoid at +-3, selu at 0) is a step of O(1).
    const Curve fine = Sample(spec, -1e-3, 1e-3, 2001);
    double jump = 0;
    for (const Curve* curve : {&c, &fine}) {
      for (size_t i = 1; i < curve->df.size(); ++i) {
        jump = std::max(jump, std::fabs(curve->df[i] - curve->df[i - 1]));
      }
    }
    EXPECT_EQ(p.smooth, jump < 1e-2) << "largest step of f' = " << jump;
  }
}

// The reference derivative agrees with a finite difference of the reference
// value: this tests the spec's formulas themselves. And f'(y) from the output
// agrees with f'(x).
TEST(ReferenceTest, DerivativeMatchesFiniteDifference) {
  for (const ActivationSpec& spec : Catalog()) {
    if (!spec.elementwise) continue;  // line-wise: tested on lines
    SCOPED_TRACE(std::string(spec.name));
    const Call call = *MakeCall(spec.name, {}, Mode::kForward);
    for (double x = -12.3; x < 12.3; x += 0.0731) {
      if (!spec.properties.smooth && std::fabs(x) < 1e-3) continue;
      const long double h = 1e-5L;
      const long double fd =
          (reference::Forward(call, x + h) - reference::Forward(call, x - h)) / (2 * h);
      const long double d = reference::Derivative(call, x);
      EXPECT_NEAR(double(fd), double(d), 1e-8 * std::max(1.0L, std::fabs(d))) << x;
      if (spec.derivative_from_output) {
        const long double y = reference::Forward(call, x);
        EXPECT_NEAR(double(reference::DerivativeFromOutput(call, y)), double(d), 1e-12) << x;
      }
    }
  }
}

// UlpError counts in the spacing of T at want: 2^(floor(log2 |want|) + 1 -
// digits), never below denorm_min. It reads the exponent from long double's
// bits; here it is computed with frexpl, around every power of two of
// double's normal range (where rounding want to double would cross it),
// in float, double and the 16-bit types.
TEST(ReferenceTest, UlpErrorCountsInTheSpacingAtWant) {
  std::mt19937_64 rng(42);
  auto spacing = [](long double a, int digits, long double denorm_min) {
    int exp;
    std::frexp(a, &exp);
    return std::max(std::ldexp(1.0L, exp - digits), denorm_min);
  };
  for (int k = -1022; k < 1023; k += 1) {
    const long double p = std::ldexp(1.0L, k);
    const long double r = static_cast<long double>(rng() >> 11) * 0x1p-54L;
    for (long double a : {p, p * (1 - 0x1p-63L), p * (1 + 0x1p-63L), p * (1 - 0x1p-54L),
                          p * (1.5L + r)}) {
      for (long double want : {a, -a}) {
        const float gf = static_cast<float>(want * (1 + 0x1p-20L));
        if (std::isfinite(gf) && std::fabs(want) < 0x1p127L) {
          EXPECT_EQ(reference::UlpError<float>(gf, want),
                    static_cast<double>(std::fabs(gf - want) / spacing(a, 24, 0x1p-149L)))
              << static_cast<double>(want);
          EXPECT_EQ(reference::UlpError(DType::kBFloat16, gf, want),
                    static_cast<double>(std::fabs(gf - want) / spacing(a, 8, 0x1p-133L)))
              << static_cast<double>(want);
        }
        if (std::fabs(want) < 65504) {
          EXPECT_EQ(reference::UlpError(DType::kFloat16, gf, want),
                    static_cast<double>(std::fabs(gf - want) / spacing(a, 11, 0x1p-24L)))
              << static_cast<double>(want);
        }
        const double gd = static_cast<double>(want * (1 + 0x1p-50L));
        if (std::isfinite(gd)) {
          EXPECT_EQ(reference::UlpError<double>(gd, want),
                    static_cast<double>(std::fabs(gd - want) / spacing(a, 53, 0x1p-1074L)))
              << static_cast<double>(want);
        }
      }
    }
  }
}

}  // namespace
}  // namespace activations
