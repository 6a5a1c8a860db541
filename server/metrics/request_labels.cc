#include "server/metrics/request_labels.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "activations/catalog.h"
#include "google/protobuf/descriptor.h"

namespace actserver::metrics {
namespace {

namespace v1 = ::activation::v1;

// The enum's values 1..N (contiguous in this API: checked by the test) as
// lower-case names without `prefix`.
std::vector<std::string> EnumLabels(const google::protobuf::EnumDescriptor* e,
                                    absl::string_view prefix) {
  std::vector<std::string> names;
  for (int number = 1; e->FindValueByNumber(number) != nullptr; ++number) {
    std::string name = e->FindValueByNumber(number)->name();
    if (absl::StartsWith(name, prefix)) name.erase(0, prefix.size());
    names.push_back(absl::AsciiStrToLower(name));
  }
  return names;
}

int ModeSlot(v1::Mode mode, int modes) {
  const int n = static_cast<int>(mode);
  return n > 0 && n <= modes ? n : 0;
}

int DTypeSlot(const v1::Tensor& tensor, int dtypes) {
  int n = 0;
  switch (tensor.data_case()) {
    case v1::Tensor::kFloat32:
      n = v1::DTYPE_FLOAT32;
      break;
    case v1::Tensor::kFloat64:
      n = v1::DTYPE_FLOAT64;
      break;
    case v1::Tensor::kRaw:
      n = static_cast<int>(tensor.raw().dtype());
      break;
    default:
      break;
  }
  return n > 0 && n <= dtypes ? n : 0;
}

// The slot of `name` in `names` (1-based), 0 if absent.
int SlotOf(const std::vector<std::string>& names, absl::string_view name) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i) + 1;
  }
  return 0;
}

absl::string_view LibraryDTypeName(activations::DType dtype) {
  switch (dtype) {
    case activations::DType::kFloat32:
      return "float32";
    case activations::DType::kFloat64:
      return "float64";
    default:  // a dtype added to the library but not yet here: "unknown"
      return "";
  }
}

}  // namespace

ServerMetrics::LabelValues ApiLabelValues() {
  ServerMetrics::LabelValues values;
  for (const activations::ActivationSpec& spec : activations::Catalog()) {
    values.functions.emplace_back(spec.name);
  }
  values.modes = EnumLabels(v1::Mode_descriptor(), "MODE_");
  values.dtypes = EnumLabels(v1::DType_descriptor(), "DTYPE_");
  return values;
}

RequestLabels LabelsOf(const v1::ComputeRequest& request) {
  // Computed once: the enums' sizes are fixed for the process.
  static const int kModes = static_cast<int>(
      EnumLabels(v1::Mode_descriptor(), "MODE_").size());
  static const int kDTypes = static_cast<int>(
      EnumLabels(v1::DType_descriptor(), "DTYPE_").size());
  RequestLabels labels;
  activations::ActivationId id;
  if (activations::FindSpec(request.function(), &id) != nullptr) {
    labels.function = static_cast<int>(id) + 1;
  }
  labels.mode = ModeSlot(request.mode(), kModes);
  labels.dtype = DTypeSlot(request.input(), kDTypes);
  return labels;
}

}  // namespace actserver::metrics

namespace actserver::metrics {

RequestLabels LabelsOf(const activations::Call& call,
                       activations::DType dtype) {
  static const ServerMetrics::LabelValues* const kValues =
      new ServerMetrics::LabelValues(ApiLabelValues());
  RequestLabels labels;
  labels.function = static_cast<int>(call.id) + 1;
  const std::string_view mode = activations::ModeName(call.mode);
  labels.mode =
      SlotOf(kValues->modes, absl::string_view(mode.data(), mode.size()));
  labels.dtype = SlotOf(kValues->dtypes, LibraryDTypeName(dtype));
  return labels;
}

}  // namespace actserver::metrics
