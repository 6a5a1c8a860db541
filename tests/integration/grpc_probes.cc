#include "tests/integration/grpc_probes.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/generic/generic_stub.h>

#include <cstdint>
#include <future>
#include <utility>

namespace actserver::testing {
namespace {

using ::google::protobuf::internal::WireFormatLite;

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

// A string field (wire type 2) `field` holding `value`.
std::string EncodeString(int field, const std::string& value) {
  std::string out;
  {  // the streams flush into `out` when they go out of scope
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(WireFormatLite::MakeTag(
        field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    coded.WriteVarint32(static_cast<std::uint32_t>(value.size()));
    coded.WriteString(value);
  }
  return out;
}

// Every occurrence of field `field` in `message`: the bytes of length-
// delimited ones, and for varints their value in `varints`.
bool ParseFields(const std::string& message, int field,
                 std::vector<std::string>* delimited,
                 std::vector<std::uint64_t>* varints) {
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const std::uint8_t*>(message.data()),
      static_cast<int>(message.size()));
  while (std::uint32_t tag = in.ReadTag()) {
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    const auto type = WireFormatLite::GetTagWireType(tag);
    if (number == field && type == WireFormatLite::WIRETYPE_VARINT &&
        varints != nullptr) {
      std::uint64_t value;
      if (!in.ReadVarint64(&value)) return false;
      varints->push_back(value);
    } else if (number == field &&
               type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED &&
               delimited != nullptr) {
      std::uint32_t length;
      std::string bytes;
      if (!in.ReadVarint32(&length) || !in.ReadString(&bytes, length)) {
        return false;
      }
      delimited->push_back(std::move(bytes));
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

// Writes every request in turn, half-closes, and reads until the end.
class RawStreamReactor
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit RawStreamReactor(const std::vector<std::string>& requests) {
    for (const std::string& r : requests) requests_.push_back(ToByteBuffer(r));
  }

  void Start() {
    WriteNext();
    StartRead(&reply_);
    StartCall();
  }
  void OnWriteDone(bool ok) override {
    if (ok) WriteNext();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    replies_.push_back(ToString(reply_));
    StartRead(&reply_);
  }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }

  grpc::Status Wait() { return done_.get_future().get(); }
  const std::vector<std::string>& replies() const { return replies_; }

 private:
  void WriteNext() {
    if (next_ == requests_.size()) {
      StartWritesDone();
      return;
    }
    StartWrite(&requests_[next_++]);
  }

  std::vector<grpc::ByteBuffer> requests_;
  std::size_t next_ = 0;
  grpc::ByteBuffer reply_;
  std::vector<std::string> replies_;
  std::promise<grpc::Status> done_;
};

}  // namespace

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method, const std::string& request,
                          std::string* response,
                          std::chrono::milliseconds timeout) {
  const grpc::ByteBuffer request_buffer = ToByteBuffer(request);
  grpc::ByteBuffer response_buffer;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::GenericStub stub(channel);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request_buffer,
                 &response_buffer,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  *response = ToString(response_buffer);
  return status;
}

grpc::Status RawStreamCall(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& method,
                           const std::vector<std::string>& requests,
                           std::vector<std::string>* responses,
                           std::chrono::milliseconds timeout) {
  RawStreamReactor reactor(requests);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::GenericStub stub(channel);
  stub.PrepareBidiStreamingCall(&context, method, grpc::StubOptions(),
                                &reactor);
  reactor.Start();
  grpc::Status status = reactor.Wait();
  *responses = reactor.replies();
  return status;
}

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service, ServingStatus* status,
                         std::chrono::milliseconds timeout) {
  // HealthCheckRequest { string service = 1; }
  std::string response;
  grpc::Status result = RawUnaryCall(
      channel, "/grpc.health.v1.Health/Check",
      service.empty() ? std::string() : EncodeString(1, service), &response,
      timeout);
  if (!result.ok()) return result;
  // HealthCheckResponse { ServingStatus status = 1; }; absent means 0.
  std::vector<std::uint64_t> values;
  if (!ParseFields(response, 1, nullptr, &values)) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS, "bad HealthCheckResponse");
  }
  *status = static_cast<ServingStatus>(values.empty() ? 0 : values.back());
  return grpc::Status::OK;
}

grpc::Status ListServices(const std::shared_ptr<grpc::Channel>& channel,
                          std::vector<std::string>* services,
                          std::chrono::milliseconds timeout) {
  // ServerReflectionRequest { oneof { string list_services = 7; } }: one
  // request, then the half-close.
  std::vector<std::string> replies;
  grpc::Status status = RawStreamCall(
      channel, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      {EncodeString(7, "")}, &replies, timeout);
  if (!status.ok()) return status;
  // ServerReflectionResponse { ListServiceResponse list_services_response = 6;
  // } ListServiceResponse { repeated ServiceResponse service = 1; }
  // ServiceResponse { string name = 1; }
  for (const std::string& reply : replies) {
    std::vector<std::string> lists, entries;
    if (!ParseFields(reply, 6, &lists, nullptr)) {
      return grpc::Status(grpc::StatusCode::DATA_LOSS, "bad reflection reply");
    }
    for (const std::string& list : lists) {
      if (!ParseFields(list, 1, &entries, nullptr)) {
        return grpc::Status(grpc::StatusCode::DATA_LOSS, "bad service list");
      }
    }
    for (const std::string& entry : entries) {
      std::vector<std::string> names;
      if (!ParseFields(entry, 1, &names, nullptr)) {
        return grpc::Status(grpc::StatusCode::DATA_LOSS, "bad service entry");
      }
      services->insert(services->end(), names.begin(), names.end());
    }
  }
  return grpc::Status::OK;
}

}  // namespace actserver::testing
