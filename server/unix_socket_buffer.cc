#include "server/unix_socket_buffer.h"

#include <memory>
#include <vector>

namespace actserver {
namespace {

class UnixSendBufferBuilderOption : public grpc::ServerBuilderOption {
 public:
  explicit UnixSendBufferBuilderOption(int bytes) : bytes_(bytes) {}
  void UpdateArguments(grpc::ChannelArguments* args) override {
    activation::client::AddUnixSendBuffer(bytes_, args);
  }
  void UpdatePlugins(
      std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*) override {}

 private:
  const int bytes_;
};

}  // namespace

std::unique_ptr<grpc::ServerBuilderOption> UnixSendBufferOption(int bytes) {
  return std::make_unique<UnixSendBufferBuilderOption>(bytes);
}

}  // namespace actserver
