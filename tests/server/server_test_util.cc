#include "tests/server/server_test_util.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/reference.h"

namespace actserver::testing {
namespace {

namespace v1 = ::activation::v1;

// The test's own mapping of the wire enums, independent of the server's
// request_codec, so a mistake there cannot hide itself here.
activations::Mode ToMode(v1::Mode mode) {
  switch (mode) {
    case v1::MODE_DERIVATIVE:
      return activations::Mode::kDerivative;
    case v1::MODE_FORWARD_AND_DERIVATIVE:
      return activations::Mode::kForwardAndDerivative;
    case v1::MODE_BACKWARD:
      return activations::Mode::kBackward;
    default:
      return activations::Mode::kForward;
  }
}

bool SameLayout(const v1::Tensor& a, const v1::Tensor& b) {
  if (a.data_case() != b.data_case()) return false;
  if (a.has_raw() && a.raw().dtype() != b.raw().dtype()) return false;
  return std::equal(a.shape().begin(), a.shape().end(), b.shape().begin(),
                    b.shape().end());
}

// The error as the library's accuracy contract counts it (ULP, with its
// stated exceptions near zeros of f' and for subnormal results).
template <typename T>
double Ulp(const activations::Call& call, double got, long double want,
           double input, double grad, bool is_derivative) {
  return activations::reference::ContractUlpError<T>(
      call, static_cast<T>(got), want, input, grad, is_derivative);
}

// The errors of a function that is not elementwise (softmax), line by line
// along the call's dim of `shape` (empty: one line), as the contract counts
// them (reference::LineContractUlpError).
std::vector<double> LineErrors(const activations::Call& call, activations::DType dtype,
                               const std::vector<std::int64_t>& shape,
                               const std::vector<double>& input, const std::vector<double>& grad,
                               const std::vector<double>& output) {
  std::size_t outer = 1, n = input.size(), inner = 1;
  if (!shape.empty()) {
    const auto rank = static_cast<std::int64_t>(shape.size());
    std::int64_t dim = static_cast<std::int64_t>(call.params[0]);
    if (dim < 0) dim += rank;
    n = static_cast<std::size_t>(shape[dim]);
    for (std::int64_t i = 0; i < dim; ++i) outer *= static_cast<std::size_t>(shape[i]);
    for (std::int64_t i = dim + 1; i < rank; ++i) inner *= static_cast<std::size_t>(shape[i]);
  }
  std::vector<double> errors(input.size());
  std::vector<long double> x(n), g(n), got(n);
  std::vector<double> err(n);
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t c = 0; c < inner; ++c) {
      auto at = [&](std::size_t k) { return (o * n + k) * inner + c; };
      for (std::size_t k = 0; k < n; ++k) {
        x[k] = input[at(k)];
        g[k] = grad.empty() ? 0 : grad[at(k)];
        got[k] = output[at(k)];
      }
      activations::reference::LineContractUlpError(call, dtype, x.data(),
                                                   grad.empty() ? nullptr : g.data(),
                                                   got.data(), n, err.data());
      for (std::size_t k = 0; k < n; ++k) errors[at(k)] = err[k];
    }
  }
  return errors;
}

}  // namespace

v1::Mode ApplicableMode(const std::string& function, v1::Mode mode) {
  const activations::ActivationSpec* spec = activations::FindSpec(function);
  if (spec == nullptr || spec->elementwise) return mode;
  return mode == v1::MODE_FORWARD ? mode : v1::MODE_BACKWARD;
}

std::string WireTypeName(WireType type) {
  switch (type) {
    case WireType::kFloat32:
      return "float32";
    case WireType::kFloat64:
      return "float64";
    case WireType::kRawFloat32:
      return "raw_float32";
    case WireType::kRawFloat64:
      return "raw_float64";
  }
  return "?";
}

bool IsFloat32(WireType type) {
  return type == WireType::kFloat32 || type == WireType::kRawFloat32;
}

v1::Tensor MakeTensor(WireType type, const std::vector<double>& values,
                      const std::vector<std::int64_t>& shape) {
  v1::Tensor tensor;
  for (std::int64_t dim : shape) tensor.add_shape(dim);
  switch (type) {
    case WireType::kFloat32: {
      // mutable_*() before the loop: it sets the oneof even with no values.
      v1::FloatArray* array = tensor.mutable_float32();
      for (double v : values) array->add_values(static_cast<float>(v));
      break;
    }
    case WireType::kFloat64: {
      v1::DoubleArray* array = tensor.mutable_float64();
      for (double v : values) array->add_values(v);
      break;
    }
    case WireType::kRawFloat32: {
      tensor.mutable_raw()->set_dtype(v1::DTYPE_FLOAT32);
      std::string* bytes = tensor.mutable_raw()->mutable_data();
      for (double v : values) {
        const float f = static_cast<float>(v);
        bytes->append(reinterpret_cast<const char*>(&f), sizeof(f));
      }
      break;
    }
    case WireType::kRawFloat64: {
      tensor.mutable_raw()->set_dtype(v1::DTYPE_FLOAT64);
      std::string* bytes = tensor.mutable_raw()->mutable_data();
      for (double v : values) {
        bytes->append(reinterpret_cast<const char*>(&v), sizeof(v));
      }
      break;
    }
  }
  return tensor;
}

std::vector<double> TensorValues(const v1::Tensor& tensor) {
  std::vector<double> out;
  switch (tensor.data_case()) {
    case v1::Tensor::kFloat32:
      out.assign(tensor.float32().values().begin(),
                 tensor.float32().values().end());
      break;
    case v1::Tensor::kFloat64:
      out.assign(tensor.float64().values().begin(),
                 tensor.float64().values().end());
      break;
    case v1::Tensor::kRaw: {
      const std::string& bytes = tensor.raw().data();
      if (tensor.raw().dtype() == v1::DTYPE_FLOAT32) {
        EXPECT_EQ(bytes.size() % sizeof(float), 0u);
        for (std::size_t i = 0; i + sizeof(float) <= bytes.size();
             i += sizeof(float)) {
          float f;
          std::memcpy(&f, bytes.data() + i, sizeof(f));
          out.push_back(f);
        }
      } else {
        EXPECT_EQ(tensor.raw().dtype(), v1::DTYPE_FLOAT64);
        EXPECT_EQ(bytes.size() % sizeof(double), 0u);
        for (std::size_t i = 0; i + sizeof(double) <= bytes.size();
             i += sizeof(double)) {
          double d;
          std::memcpy(&d, bytes.data() + i, sizeof(d));
          out.push_back(d);
        }
      }
      break;
    }
    case v1::Tensor::DATA_NOT_SET:
      ADD_FAILURE() << "tensor has no data";
      break;
  }
  return out;
}

std::vector<double> Grid(double lo, double hi, int n) {
  std::vector<double> out(n);
  for (int i = 0; i < n; ++i) {
    out[i] = n == 1 ? lo : lo + (hi - lo) * i / (n - 1);
  }
  return out;
}

v1::ComputeRequest MakeRequest(const std::string& function, v1::Mode mode,
                               WireType type, const std::vector<double>& input,
                               const std::vector<std::int64_t>& shape) {
  v1::ComputeRequest request;
  request.set_id(absl::StrCat(function, "/", v1::Mode_Name(mode), "/",
                              WireTypeName(type)));
  request.set_function(function);
  request.set_mode(mode);
  *request.mutable_input() = MakeTensor(type, input, shape);
  if (mode == v1::MODE_BACKWARD) {
    // A gradient that differs per element, so a kernel that ignored it (or
    // read it at the wrong index) would be caught.
    std::vector<double> grad(input.size());
    for (std::size_t i = 0; i < grad.size(); ++i)
      grad[i] = 0.5 + 0.25 * (i % 7);
    *request.mutable_grad() = MakeTensor(type, grad, shape);
  }
  return request;
}

v1::ComputeBatchRequest MixedBatch() {
  v1::ComputeBatchRequest batch;
  // Sizes 1, 1 + step, ..., 1 + 4 step: at most about 80 000 values in all,
  // however long the catalogue grows (the tests' servers take 100 000).
  const int items = static_cast<int>(activations::Catalog().size() * std::size(kAllWireTypes));
  const int step = std::min(997, 40000 / items);
  int i = 0;
  for (const activations::ActivationSpec& spec : activations::Catalog()) {
    for (WireType type : kAllWireTypes) {
      const std::string name(spec.name);
      *batch.add_items() = MakeRequest(name, ApplicableMode(name, kAllModes[i % 4]), type,
                                       Grid(-5, 5, 1 + step * (i % 5)));
      batch.mutable_items(i)->set_id(absl::StrCat("item-", i));
      ++i;
    }
  }
  return batch;
}

::testing::AssertionResult MatchesReference(
    const v1::ComputeRequest& request, const v1::ComputeResponse& response) {
  if (response.id() != request.id()) {
    return ::testing::AssertionFailure()
           << "id " << response.id() << " != " << request.id();
  }
  std::vector<std::pair<std::string_view, double>> params;
  for (const auto& [name, value] : request.params()) {
    params.emplace_back(name, value);
  }
  absl::StatusOr<activations::Call> call =
      activations::MakeCall(request.function(), params, ToMode(request.mode()),
                            request.input_kind() == v1::INPUT_KIND_OUTPUT
                                ? activations::InputKind::kOutput
                                : activations::InputKind::kX);
  if (!call.ok()) {
    return ::testing::AssertionFailure() << "MakeCall: " << call.status();
  }
  const bool f32 = request.input().has_float32() ||
                   (request.input().has_raw() &&
                    request.input().raw().dtype() == v1::DTYPE_FLOAT32);
  const activations::DType dtype =
      f32 ? activations::DType::kFloat32 : activations::DType::kFloat64;
  if (response.max_ulp_error() != activations::MaxUlpError(*call, dtype)) {
    return ::testing::AssertionFailure()
           << "max_ulp_error " << response.max_ulp_error() << " != catalogue's "
           << activations::MaxUlpError(*call, dtype);
  }
  const bool both = request.mode() == v1::MODE_FORWARD_AND_DERIVATIVE;
  if (!SameLayout(request.input(), response.output())) {
    return ::testing::AssertionFailure()
           << "output layout differs from input: "
           << response.output().ShortDebugString().substr(0, 200);
  }
  if (both != response.has_derivative()) {
    return ::testing::AssertionFailure()
           << "derivative " << (both ? "missing" : "set in mode ")
           << v1::Mode_Name(request.mode());
  }
  if (both && !SameLayout(request.input(), response.derivative())) {
    return ::testing::AssertionFailure() << "derivative layout differs";
  }

  const std::vector<double> input = TensorValues(request.input());
  const std::vector<double> grad =
      request.has_grad() ? TensorValues(request.grad()) : std::vector<double>();
  const std::vector<double> output = TensorValues(response.output());
  const std::vector<double> derivative =
      both ? TensorValues(response.derivative()) : std::vector<double>();
  if (output.size() != input.size() ||
      (both && derivative.size() != input.size())) {
    return ::testing::AssertionFailure()
           << output.size() << " outputs for " << input.size() << " inputs";
  }
  const double bound = response.max_ulp_error();
  std::vector<std::string> failures;
  // The output is f itself only in the two modes that compute f.
  const bool output_is_derivative = request.mode() == v1::MODE_DERIVATIVE ||
                                    request.mode() == v1::MODE_BACKWARD;
  const bool elementwise = activations::GetSpec(call->id).elementwise;
  if (!elementwise) {
    const std::vector<std::int64_t> shape(request.input().shape().begin(),
                                          request.input().shape().end());
    const std::vector<double> errors = LineErrors(*call, dtype, shape, input, grad, output);
    for (std::size_t i = 0; i < errors.size(); ++i) {
      if (!(errors[i] <= bound)) {
        failures.push_back(absl::StrCat("output[", i, "] x=", input[i], " got ", output[i],
                                        " (", errors[i], " ulp)"));
      }
    }
  }
  for (std::size_t i = 0; elementwise && i < input.size(); ++i) {
    const double g = grad.empty() ? 1.0 : grad[i];
    const activations::reference::Element want =
        activations::reference::Evaluate(*call, input[i], g);
    const double err = f32 ? Ulp<float>(*call, output[i], want.output, input[i],
                                        g, output_is_derivative)
                           : Ulp<double>(*call, output[i], want.output,
                                         input[i], g, output_is_derivative);
    if (!(err <= bound)) {
      failures.push_back(absl::StrCat(
          "output[", i, "] x=", input[i], " got ", output[i], " want ",
          static_cast<double>(want.output), " (", err, " ulp)"));
    }
    if (both) {
      const double derr = f32 ? Ulp<float>(*call, derivative[i],
                                           want.derivative, input[i], g, true)
                              : Ulp<double>(*call, derivative[i],
                                            want.derivative, input[i], g, true);
      if (!(derr <= bound)) {
        failures.push_back(absl::StrCat("derivative[", i, "] x=", input[i],
                                        " got ", derivative[i], " want ",
                                        static_cast<double>(want.derivative),
                                        " (", derr, " ulp)"));
      }
    }
  }
  if (!failures.empty()) {
    if (failures.size() > 5) failures.resize(5);
    return ::testing::AssertionFailure()
           << request.id() << " (" << request.function() << ", "
           << v1::Mode_Name(request.mode()) << ", "
           << (f32 ? "float32" : "float64") << "): beyond " << bound
           << " ulp: " << absl::StrJoin(failures, "; ");
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult StatusIs(const grpc::Status& status,
                                    grpc::StatusCode code,
                                    const std::vector<std::string>& parts) {
  if (status.error_code() != code) {
    return ::testing::AssertionFailure()
           << "code " << status.error_code() << " (want " << code
           << "), message: " << status.error_message();
  }
  for (const std::string& part : parts) {
    if (status.error_message().find(part) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message \"" << status.error_message() << "\" lacks \"" << part
             << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

void SetDeadline(grpc::ClientContext* context,
                 std::chrono::milliseconds timeout) {
  context->set_deadline(std::chrono::system_clock::now() + timeout);
}

grpc::Status ComputeWithDeadline(v1::ActivationService::StubInterface& stub,
                                 const v1::ComputeRequest& request,
                                 v1::ComputeResponse* response) {
  grpc::ClientContext context;
  SetDeadline(&context);
  return stub.Compute(&context, request, response);
}

}  // namespace actserver::testing
