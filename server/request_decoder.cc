#include "server/request_decoder.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "activation/v1/activation.pb.h"  // enum values and names only

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using wire::Chain;
using wire::Reader;
using wire::WireType;

// Raw tensors are little-endian on the wire and reach the kernels without
// byte swapping.
static_assert(std::endian::native == std::endian::little,
              "the request decoder assumes a little-endian host");

// Field numbers, from activation.proto.
namespace field {
constexpr std::uint32_t kRequestId = 1, kRequestFunction = 2,
                        kRequestParams = 3, kRequestMode = 4,
                        kRequestInput = 5, kRequestGrad = 6,
                        kRequestInputKind = 7;
constexpr std::uint32_t kMapKey = 1, kMapValue = 2;
constexpr std::uint32_t kTensorShape = 1, kTensorFloat32 = 2,
                        kTensorFloat64 = 3, kTensorRaw = 4;
constexpr std::uint32_t kArrayValues = 1;  // FloatArray and DoubleArray
constexpr std::uint32_t kRawDType = 1, kRawData = 2;
constexpr std::uint32_t kBatchItems = 1;
}  // namespace field

// ---------------------------------------------------------------------------
// Stage 1: the wire format, into plain structs (what protobuf's parser does).

// A Tensor as parsed: one oneof member at most, merged as protobuf merges
// repeated occurrences of a message field.
struct WireTensor {
  enum class Member { kNone, kFloat32, kFloat64, kRaw };
  bool present = false;
  absl::InlinedVector<std::int64_t, 4> shape;
  std::size_t shape_entries = 0;  // counted even past kMaxDims
  Member member = Member::kNone;
  std::int32_t raw_dtype = 0;
  Chain data;
  // Once a repeated float arrives unpacked, every value of the field so far
  // is copied here, in order, and `data` is rebuilt over it at the end.
  std::shared_ptr<std::string> owned;
};

struct WireRequest {
  std::string id;
  std::string function;
  std::vector<std::pair<std::string, double>> params;
  std::size_t param_entries = 0;
  std::int32_t mode = 0;
  std::int32_t input_kind = 0;
  WireTensor input;
  WireTensor grad;
};

// Where a field sits in the message ("items[3].input.raw.data"): a chain of
// names on the parser's stack, rendered only when a parse fails. Building
// each field's path as a string on every call cost ~1.2 k instructions of a
// 16-value call's ~66 k (docs/benchmarks.md, "Session 19: the server's own
// instructions per call").
class FieldPath {
 public:
  // The message itself.
  constexpr FieldPath() = default;
  // `name` (a literal, or a string outliving this) inside `parent`; with
  // `index`, the index-th element of repeated field `name`.
  constexpr FieldPath(const FieldPath& parent, absl::string_view name,
                      std::size_t index = kNoIndex)
      : parent_(&parent), name_(name), index_(index) {}

  std::string ToString() const {
    std::string out = parent_ == nullptr ? "" : parent_->ToString();
    if (!name_.empty()) {
      if (!out.empty()) out += '.';
      absl::StrAppend(&out, name_);
    }
    if (index_ != kNoIndex) absl::StrAppend(&out, "[", index_, "]");
    return out;
  }

 private:
  static constexpr std::size_t kNoIndex = ~std::size_t{0};
  const FieldPath* parent_ = nullptr;
  absl::string_view name_;
  std::size_t index_ = kNoIndex;
};

constexpr FieldPath kMessage;

// Collects the first parse error with the path of the field it was in.
class Parser {
 public:
  // `type_name` is a literal (or outlives the parser).
  explicit Parser(absl::string_view type_name) : type_name_(type_name) {}

  bool ParseRequest(const Chain& chain, const FieldPath& path,
                    WireRequest* out);
  bool ParseBatch(const Chain& chain, const RequestLimits& limits,
                  std::vector<WireRequest>* items);
  bool SkipAll(const Chain& chain);

  absl::Status error() const {
    return absl::InvalidArgumentError(absl::StrCat(
        "request: not a valid ", type_name_, " (protobuf wire format): ",
        path_.empty() ? "" : absl::StrCat(path_, ": "), problem_));
  }
  bool too_many_items() const { return too_many_items_; }
  std::size_t item_count() const { return item_count_; }

 private:
  bool Fail(const FieldPath& path, std::string problem) {
    path_ = path.ToString();
    problem_ = std::move(problem);
    return false;
  }
  bool Malformed(const FieldPath& path) {
    return Fail(path, "truncated or malformed encoding");
  }
  bool ParseString(Reader* reader, const FieldPath& path, std::string* out);
  bool ParseParamEntry(const Chain& chain, const FieldPath& path,
                       WireRequest* out);
  bool ParseTensor(const Chain& chain, const FieldPath& path, WireTensor* out);
  bool ParseShapeValue(std::uint64_t value, WireTensor* out);
  bool ParseFloatArray(const Chain& chain, const FieldPath& path,
                       std::size_t element, WireTensor* out);
  bool ParseRaw(const Chain& chain, const FieldPath& path, WireTensor* out);
  bool SkipUnknown(Reader* reader, std::uint32_t number, WireType type,
                   const FieldPath& path) {
    return reader->Skip(number, type) || Malformed(path);
  }

  absl::string_view type_name_;
  std::string path_;
  std::string problem_;
  bool too_many_items_ = false;
  std::size_t item_count_ = 0;
};

bool Parser::ParseString(Reader* reader, const FieldPath& path,
                         std::string* out) {
  Chain bytes;
  if (!reader->ReadLengthDelimited(&bytes)) return Malformed(path);
  *out = bytes.Prefix(bytes.size());
  if (!wire::IsValidUtf8(*out)) {
    return Fail(path, "not valid UTF-8 (proto3 strings must be)");
  }
  return true;
}

bool Parser::ParseParamEntry(const Chain& chain, const FieldPath& path,
                             WireRequest* out) {
  std::string key;
  double value = 0;
  Reader reader(chain);
  while (!reader.AtEnd()) {
    std::uint32_t number;
    WireType type;
    if (!reader.ReadTag(&number, &type)) return Malformed(path);
    if (number == field::kMapKey && type == wire::kLengthDelimited) {
      if (!ParseString(&reader, FieldPath(path, "key"), &key)) return false;
    } else if (number == field::kMapValue && type == wire::kFixed64) {
      std::uint64_t bits;
      if (!reader.ReadFixed64(&bits)) {
        return Malformed(FieldPath(path, "value"));
      }
      std::memcpy(&value, &bits, sizeof value);
    } else if (!SkipUnknown(&reader, number, type, path)) {
      return false;
    }
  }
  out->params.emplace_back(std::move(key), value);
  return true;
}

bool Parser::ParseShapeValue(std::uint64_t value, WireTensor* out) {
  ++out->shape_entries;
  if (out->shape.size() < kMaxDims) {
    out->shape.push_back(static_cast<std::int64_t>(value));
  }
  return true;
}

// The values of a FloatArray or DoubleArray: packed chunks are appended to
// `data` without copying; an unpacked value switches to the owned copy.
bool Parser::ParseFloatArray(const Chain& chain, const FieldPath& path,
                             std::size_t element, WireTensor* out) {
  const FieldPath values_path(path, "values");
  const WireType unpacked_type = element == 4 ? wire::kFixed32 : wire::kFixed64;
  Reader reader(chain);
  while (!reader.AtEnd()) {
    std::uint32_t number;
    WireType type;
    if (!reader.ReadTag(&number, &type)) return Malformed(path);
    if (number == field::kArrayValues && type == wire::kLengthDelimited) {
      Chain packed;
      if (!reader.ReadLengthDelimited(&packed)) return Malformed(values_path);
      if (packed.size() % element != 0) {
        return Fail(values_path,
                    absl::StrCat("packed length ", packed.size(),
                                 " is not a multiple of ", element));
      }
      if (out->owned != nullptr) {
        const std::size_t at = out->owned->size();
        out->owned->resize(at + packed.size());
        packed.CopyTo(out->owned->data() + at);
      } else {
        out->data.Append(packed);
      }
    } else if (number == field::kArrayValues && type == unpacked_type) {
      char bytes[8];
      std::uint64_t bits64 = 0;
      std::uint32_t bits32 = 0;
      if (element == 4) {
        if (!reader.ReadFixed32(&bits32)) return Malformed(values_path);
        std::memcpy(bytes, &bits32, 4);
      } else {
        if (!reader.ReadFixed64(&bits64)) return Malformed(values_path);
        std::memcpy(bytes, &bits64, 8);
      }
      if (out->owned == nullptr) {
        out->owned = std::make_shared<std::string>(out->data.size(), '\0');
        out->data.CopyTo(out->owned->data());
      }
      out->owned->append(bytes, element);
    } else if (!SkipUnknown(&reader, number, type, path)) {
      return false;
    }
  }
  return true;
}

bool Parser::ParseRaw(const Chain& chain, const FieldPath& path,
                      WireTensor* out) {
  Reader reader(chain);
  while (!reader.AtEnd()) {
    std::uint32_t number;
    WireType type;
    if (!reader.ReadTag(&number, &type)) return Malformed(path);
    if (number == field::kRawDType && type == wire::kVarint) {
      std::uint64_t v;
      if (!reader.ReadVarint(&v)) return Malformed(FieldPath(path, "dtype"));
      out->raw_dtype = static_cast<std::int32_t>(v);
    } else if (number == field::kRawData && type == wire::kLengthDelimited) {
      // A singular bytes field: a later occurrence replaces the earlier.
      if (!reader.ReadLengthDelimited(&out->data)) {
        return Malformed(FieldPath(path, "data"));
      }
    } else if (!SkipUnknown(&reader, number, type, path)) {
      return false;
    }
  }
  return true;
}

bool Parser::ParseTensor(const Chain& chain, const FieldPath& path,
                         WireTensor* out) {
  using Member = WireTensor::Member;
  out->present = true;
  // Selecting a oneof member other than the current one clears the current.
  auto select = [out](Member member) {
    if (out->member == member) return;
    out->member = member;
    out->raw_dtype = 0;
    out->data.Clear();
    out->owned.reset();
  };
  Reader reader(chain);
  while (!reader.AtEnd()) {
    std::uint32_t number;
    WireType type;
    if (!reader.ReadTag(&number, &type)) return Malformed(path);
    const FieldPath shape_path(path, "shape");
    if (number == field::kTensorShape && type == wire::kLengthDelimited) {
      Chain packed;
      if (!reader.ReadLengthDelimited(&packed)) return Malformed(shape_path);
      Reader values(packed);
      while (!values.AtEnd()) {
        std::uint64_t v;
        if (!values.ReadVarint(&v)) return Malformed(shape_path);
        ParseShapeValue(v, out);
      }
    } else if (number == field::kTensorShape && type == wire::kVarint) {
      std::uint64_t v;
      if (!reader.ReadVarint(&v)) return Malformed(shape_path);
      ParseShapeValue(v, out);
    } else if ((number == field::kTensorFloat32 ||
                number == field::kTensorFloat64 ||
                number == field::kTensorRaw) &&
               type == wire::kLengthDelimited) {
      Chain body;
      const absl::string_view name = number == field::kTensorFloat32 ? "float32"
                                     : number == field::kTensorFloat64
                                         ? "float64"
                                         : "raw";
      const FieldPath member_path(path, name);
      if (!reader.ReadLengthDelimited(&body)) return Malformed(member_path);
      bool ok;
      if (number == field::kTensorRaw) {
        select(Member::kRaw);
        ok = ParseRaw(body, member_path, out);
      } else if (number == field::kTensorFloat32) {
        select(Member::kFloat32);
        ok = ParseFloatArray(body, member_path, 4, out);
      } else {
        select(Member::kFloat64);
        ok = ParseFloatArray(body, member_path, 8, out);
      }
      if (!ok) return false;
    } else if (!SkipUnknown(&reader, number, type, path)) {
      return false;
    }
  }
  if (out->owned != nullptr) out->data = Chain(wire::Piece{out->owned->data(), out->owned->size()});
  return true;
}

bool Parser::ParseRequest(const Chain& chain, const FieldPath& path,
                          WireRequest* out) {
  Reader reader(chain);
  while (!reader.AtEnd()) {
    std::uint32_t number;
    WireType type;
    if (!reader.ReadTag(&number, &type)) return Malformed(path);
    switch (type == wire::kLengthDelimited ? number : 0) {
      case field::kRequestId:
        if (!ParseString(&reader, FieldPath(path, "id"), &out->id)) {
          return false;
        }
        continue;
      case field::kRequestFunction:
        if (!ParseString(&reader, FieldPath(path, "function"),
                         &out->function)) {
          return false;
        }
        continue;
      case field::kRequestParams: {
        const FieldPath params_path(path, "params");
        Chain entry;
        if (!reader.ReadLengthDelimited(&entry)) return Malformed(params_path);
        if (++out->param_entries > kMaxParamEntries) continue;  // reported later
        if (!ParseParamEntry(entry, params_path, out)) return false;
        continue;
      }
      case field::kRequestInput:
      case field::kRequestGrad: {
        const bool input = number == field::kRequestInput;
        const FieldPath tensor_path(path, input ? "input" : "grad");
        Chain body;
        if (!reader.ReadLengthDelimited(&body)) return Malformed(tensor_path);
        if (!ParseTensor(body, tensor_path, input ? &out->input : &out->grad)) {
          return false;
        }
        continue;
      }
      default:
        break;
    }
    if (type == wire::kVarint &&
        (number == field::kRequestMode || number == field::kRequestInputKind)) {
      std::uint64_t v;
      const bool mode = number == field::kRequestMode;
      if (!reader.ReadVarint(&v)) {
        return Malformed(FieldPath(path, mode ? "mode" : "input_kind"));
      }
      (mode ? out->mode : out->input_kind) = static_cast<std::int32_t>(v);
      continue;
    }
    if (!SkipUnknown(&reader, number, type, path)) return false;
  }
  return true;
}

bool Parser::ParseBatch(const Chain& chain, const RequestLimits& limits,
                        std::vector<WireRequest>* items) {
  Reader reader(chain);
  while (!reader.AtEnd()) {
    std::uint32_t number;
    WireType type;
    if (!reader.ReadTag(&number, &type)) return Malformed(kMessage);
    if (number == field::kBatchItems && type == wire::kLengthDelimited) {
      const FieldPath path(kMessage, "items", item_count_);
      Chain body;
      if (!reader.ReadLengthDelimited(&body)) return Malformed(path);
      // Past the limit, items are still checked for well-formedness (a
      // message that does not parse is reported as such) but not kept.
      if (++item_count_ > limits.max_batch_items) {
        too_many_items_ = true;
        continue;
      }
      items->emplace_back();
      if (!ParseRequest(body, path, &items->back())) return false;
    } else if (!SkipUnknown(&reader, number, type, kMessage)) {
      return false;
    }
  }
  return true;
}

bool Parser::SkipAll(const Chain& chain) {
  Reader reader(chain);
  while (!reader.AtEnd()) {
    std::uint32_t number;
    WireType type;
    if (!reader.ReadTag(&number, &type)) return Malformed(kMessage);
    if (!SkipUnknown(&reader, number, type, kMessage)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Stage 2: validation, with messages for the person reading the log.

constexpr absl::string_view kValidModes =
    "MODE_FORWARD, MODE_DERIVATIVE, MODE_FORWARD_AND_DERIVATIVE, MODE_BACKWARD";

// The raw element types this server computes, and their wire values.
struct RawDType {
  v1::DType wire;
  activations::DType dtype;
};
constexpr RawDType kRawDTypes[] = {
    {v1::DTYPE_FLOAT32, activations::DType::kFloat32},
    {v1::DTYPE_FLOAT64, activations::DType::kFloat64},
    {v1::DTYPE_BFLOAT16, activations::DType::kBFloat16},
    {v1::DTYPE_FLOAT16, activations::DType::kFloat16},
};

std::string ValidRawDTypes() {
  return absl::StrJoin(kRawDTypes, " or ", [](std::string* out, RawDType t) {
    absl::StrAppend(out, v1::DType_Name(t.wire));
  });
}

absl::StatusOr<activations::Mode> DecodeMode(std::int32_t mode,
                                             absl::string_view prefix) {
  switch (mode) {
    case v1::MODE_FORWARD:
      return activations::Mode::kForward;
    case v1::MODE_DERIVATIVE:
      return activations::Mode::kDerivative;
    case v1::MODE_FORWARD_AND_DERIVATIVE:
      return activations::Mode::kForwardAndDerivative;
    case v1::MODE_BACKWARD:
      return activations::Mode::kBackward;
    case v1::MODE_UNSPECIFIED:
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "mode: MODE_UNSPECIFIED is not allowed; set one of ",
          kValidModes));
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "mode: unknown value ", mode, "; set one of ", kValidModes));
  }
}

absl::StatusOr<activations::InputKind> DecodeInputKind(
    std::int32_t kind, absl::string_view prefix) {
  switch (kind) {
    case v1::INPUT_KIND_UNSPECIFIED:
    case v1::INPUT_KIND_X:
      return activations::InputKind::kX;
    case v1::INPUT_KIND_OUTPUT:
      return activations::InputKind::kOutput;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "input_kind: unknown value ", kind,
                       "; set INPUT_KIND_X or INPUT_KIND_OUTPUT"));
  }
}

absl::Status WithPrefix(const absl::Status& status, absl::string_view prefix) {
  if (prefix.empty()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

absl::StatusOr<activations::Call> DecodeCall(WireRequest& request,
                                             absl::string_view prefix) {
  absl::StatusOr<activations::Mode> mode = DecodeMode(request.mode, prefix);
  if (!mode.ok()) return mode.status();
  absl::StatusOr<activations::InputKind> kind =
      DecodeInputKind(request.input_kind, prefix);
  if (!kind.ok()) return kind.status();
  if (request.param_entries > kMaxParamEntries) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, "params: ", request.param_entries, " entries; at most ",
        kMaxParamEntries, " are accepted (activations take at most ",
        activations::kMaxParams, " parameters)"));
  }
  // A map: the last entry of a key wins, as protobuf's parser does. Then
  // sorted by name, so that with two bad parameters the same request always
  // gets the same message.
  std::vector<std::pair<std::string, double>>& params = request.params;
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string_view, double>> named;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i + 1 < params.size() && params[i + 1].first == params[i].first) continue;
    named.emplace_back(params[i].first, params[i].second);
  }
  absl::StatusOr<activations::Call> call =
      activations::MakeCall(request.function, named, *mode, *kind);
  if (!call.ok()) return WithPrefix(call.status(), prefix);
  return call;
}

// Checks the dimensions against the number of values.
absl::Status CheckShape(const WireTensor& tensor, std::size_t size,
                        absl::string_view prefix, absl::string_view name) {
  if (tensor.shape_entries > kMaxDims) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, name, ".shape: ", tensor.shape_entries,
                     " dimensions; at most ", kMaxDims, " are accepted"));
  }
  if (tensor.shape.empty()) return absl::OkStatus();
  std::uint64_t product = 1;
  bool overflow = false;
  bool zero = false;  // a zero dimension makes the product 0, overflow or not
  for (std::size_t i = 0; i < tensor.shape.size(); ++i) {
    const std::int64_t dim = tensor.shape[i];
    if (dim < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, name, ".shape[", i, "]: ", dim,
                       " is negative; dimensions must be >= 0"));
    }
    // Keep scanning after an overflow: a later negative dimension is the
    // better message, and a later zero cancels it.
    zero |= dim == 0;
    overflow |= __builtin_mul_overflow(product, static_cast<std::uint64_t>(dim),
                                       &product);
  }
  if (zero) product = 0;
  const std::string dims = absl::StrJoin(tensor.shape, ", ");
  if (overflow && !zero) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, name, ".shape: product of [", dims,
        "] overflows 64 bits; it must equal the ", size, " values"));
  }
  if (product != size) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, name, ".shape: product ", product, " of [", dims,
                     "] differs from ", size, " values"));
  }
  return absl::OkStatus();
}

// `prefix` + `name` is the tensor's field ("items[2].input"), spelled out
// only in an error's message.
absl::StatusOr<TensorView> DecodeTensor(WireTensor& tensor,
                                        absl::string_view prefix,
                                        absl::string_view name) {
  using Member = WireTensor::Member;
  TensorView view;
  switch (tensor.member) {
    case Member::kNone:
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, name, ": missing, set one of float32, float64, raw"));
    case Member::kFloat32:
      view.encoding = Encoding::kFloat32;
      view.dtype = activations::DType::kFloat32;
      break;
    case Member::kFloat64:
      view.encoding = Encoding::kFloat64;
      view.dtype = activations::DType::kFloat64;
      break;
    case Member::kRaw: {
      view.encoding = Encoding::kRaw;
      view.raw_dtype = tensor.raw_dtype;
      const RawDType* found = nullptr;
      for (const RawDType& t : kRawDTypes) {
        if (t.wire == tensor.raw_dtype) found = &t;
      }
      if (found == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(prefix, name, ".raw.dtype: ",
                         tensor.raw_dtype == v1::DTYPE_UNSPECIFIED
                             ? std::string("DTYPE_UNSPECIFIED is not allowed")
                             : absl::StrCat("unknown value ", tensor.raw_dtype),
                         "; set ", ValidRawDTypes()));
      }
      view.dtype = found->dtype;
      const std::size_t element = activations::DTypeSize(view.dtype);
      if (tensor.data.size() % element != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            prefix, name, ".raw.data: ", tensor.data.size(),
            " bytes is not a multiple of ", element, ", the size of one ",
            actserver::DTypeName(view.dtype), " value"));
      }
      break;
    }
  }
  view.size = tensor.data.size() / activations::DTypeSize(view.dtype);
  if (absl::Status shape = CheckShape(tensor, view.size, prefix, name);
      !shape.ok()) {
    return shape;
  }
  view.shape = std::move(tensor.shape);
  view.data = std::move(tensor.data);
  view.owned = std::move(tensor.owned);
  return view;
}

absl::StatusOr<DecodedRequest> Validate(WireRequest& request,
                                        absl::string_view prefix) {
  DecodedRequest decoded;
  absl::StatusOr<activations::Call> call = DecodeCall(request, prefix);
  if (!call.ok()) return call.status();
  decoded.call = *call;

  // An unset input reads as an empty Tensor, which DecodeTensor reports as
  // missing.
  absl::StatusOr<TensorView> input =
      DecodeTensor(request.input, prefix, "input");
  if (!input.ok()) return input.status();
  decoded.input = *std::move(input);
  // A function along a dim (softmax): the dim must be one of the shape's.
  if (absl::Status s = activations::CheckShape(decoded.call, decoded.input.shape,
                                               decoded.input.size);
      !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
  }

  const bool backward = decoded.call.mode == activations::Mode::kBackward;
  if (!backward) {
    if (request.grad.present) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "grad: set, but only MODE_BACKWARD reads it (mode is ",
          v1::Mode_Name(static_cast<v1::Mode>(request.mode)),
          "); leave it unset"));
    }
  } else {
    if (!request.grad.present) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "grad: missing; MODE_BACKWARD needs the upstream gradient ",
          "with the same number of values and element type as ", prefix,
          "input"));
    }
    absl::StatusOr<TensorView> grad =
        DecodeTensor(request.grad, prefix, "grad");
    if (!grad.ok()) return grad.status();
    if (grad->size != decoded.input.size) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "grad: ", grad->size, " values, but ", prefix, "input has ",
          decoded.input.size, "; they must be equal"));
    }
    if (grad->dtype != decoded.input.dtype) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "grad: ", actserver::DTypeName(grad->dtype), " values, but ",
          prefix, "input is ", actserver::DTypeName(decoded.input.dtype),
          "; they must be the same type"));
    }
    decoded.grad = *std::move(grad);
  }
  decoded.id = std::move(request.id);
  return decoded;
}

}  // namespace

absl::string_view DTypeName(activations::DType dtype) {
  const std::string_view name = activations::DTypeName(dtype);
  return absl::string_view(name.data(), name.size());
}

absl::StatusOr<DecodedRequest> DecodeComputeRequest(
    const wire::Chain& message, const RequestLimits& limits, std::string* id) {
  Parser parser("activation.v1.ComputeRequest");
  WireRequest request;
  if (!parser.ParseRequest(message, kMessage, &request)) return parser.error();
  if (id != nullptr) *id = request.id;
  absl::StatusOr<DecodedRequest> decoded = Validate(request, "");
  if (!decoded.ok()) return decoded.status();
  if (decoded->input.size > limits.max_elements) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "input: ", decoded->input.size, " values exceed this server's limit of ",
        limits.max_elements, " values per call (max_elements)"));
  }
  return decoded;
}

absl::StatusOr<std::vector<DecodedRequest>> DecodeBatchRequest(
    const wire::Chain& message, const RequestLimits& limits) {
  Parser parser("activation.v1.ComputeBatchRequest");
  std::vector<WireRequest> items;
  if (!parser.ParseBatch(message, limits, &items)) return parser.error();
  if (parser.too_many_items()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "items: ", parser.item_count(), " items exceed this server's limit of ",
        limits.max_batch_items, " items per batch (max_batch_items)"));
  }
  std::vector<DecodedRequest> decoded;
  decoded.reserve(items.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    absl::StatusOr<DecodedRequest> item =
        Validate(items[i], absl::StrCat("items[", i, "]."));
    if (!item.ok()) return item.status();
    total += item->input.size;
    decoded.push_back(*std::move(item));
  }
  if (total > limits.max_elements) {
    return absl::ResourceExhaustedError(
        absl::StrCat("items: ", items.size(), " items hold ", total,
                     " values in all, above this server's limit of ",
                     limits.max_elements, " values per call (max_elements)"));
  }
  return decoded;
}

absl::Status CheckEmptyRequest(const wire::Chain& message,
                               absl::string_view type_name) {
  Parser parser(type_name);
  if (!parser.SkipAll(message)) return parser.error();
  return absl::OkStatus();
}

}  // namespace actserver
