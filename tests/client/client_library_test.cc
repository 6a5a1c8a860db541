// The client library's pure parts: tensor encodings, target lists, the
// service config. (Calls against a real server are in integration_test.cc.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/activation_client.h"
#include "client/tls_files.h"
#include "client/tensor_codec.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace activation::client {
namespace {

template <typename T>
class TensorCodecTest : public ::testing::Test {};
using ElementTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(TensorCodecTest, ElementTypes);

TYPED_TEST(TensorCodecTest, RoundTripsInBothEncodings) {
  using T = TypeParam;
  const std::vector<T> values = {T(-1.5), T(0), T(-0.0), T(3e-39),
                                 std::numeric_limits<T>::infinity(),
                                 std::numeric_limits<T>::quiet_NaN()};
  const int64_t shape[] = {2, 3};
  for (Encoding e : {Encoding::kRaw, Encoding::kPacked}) {
    v1::Tensor t;
    SetTensor<T>(values, e, shape, &t);
    const v1::Tensor::DataCase packed =
        std::is_same_v<T, float> ? v1::Tensor::kFloat32 : v1::Tensor::kFloat64;
    EXPECT_EQ(t.data_case(), e == Encoding::kRaw ? v1::Tensor::kRaw : packed);
    EXPECT_EQ(*TensorDType(t), DTypeOf<T>());
    EXPECT_EQ(TensorSize(t), values.size());
    EXPECT_EQ(t.shape_size(), 2);
    auto back = TensorValues<T>(t);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(back->size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      // Bit-exact, including -0 and NaN.
      EXPECT_EQ(std::memcmp(&(*back)[i], &values[i], sizeof(T)), 0) << i;
    }
  }
}

// Regression (tests/fuzz/tensor_codec_corpus/crash-31101a91...): an empty raw
// tensor was copied with memcpy to the null data() of an empty vector, which
// UBSan reports as undefined behaviour.
TYPED_TEST(TensorCodecTest, EmptyRawTensor) {
  using T = TypeParam;
  for (Encoding e : {Encoding::kRaw, Encoding::kPacked}) {
    v1::Tensor t;
    SetTensor<T>({}, e, {}, &t);
    auto back = TensorValues<T>(t);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(back->empty());
  }
}

TYPED_TEST(TensorCodecTest, WrongElementTypeIsAnError) {
  using T = TypeParam;
  using Other = std::conditional_t<std::is_same_v<T, float>, double, float>;
  v1::Tensor t;
  const std::vector<T> values = {1, 2};
  SetTensor<T>(values, Encoding::kRaw, {}, &t);
  const absl::Status s = TensorValues<Other>(t).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(v1::DType_Name(DTypeOf<T>())), absl::string_view::npos);
}

TEST(TensorCodecTest, MalformedRawData) {
  v1::Tensor t;
  EXPECT_FALSE(TensorDType(t).ok());  // no data
  t.mutable_raw()->set_data(std::string(6, '\0'));
  EXPECT_FALSE(TensorDType(t).ok());  // no dtype
  t.mutable_raw()->set_dtype(v1::DTYPE_FLOAT32);
  const absl::Status s = TensorDType(t).status();  // 6 bytes: not 4k
  EXPECT_NE(s.message().find("multiple of 4"), absl::string_view::npos);
}

// The server takes raw bfloat16 and float16; the client library knew only 4- and 8-byte
// dtypes and called such a tensor malformed (found by tests/fuzz/tensor_codec_fuzz).
TEST(TensorCodecTest, TwoByteRawDTypesAreKnown) {
  for (const v1::DType dtype : {v1::DTYPE_BFLOAT16, v1::DTYPE_FLOAT16}) {
    v1::Tensor t;
    t.mutable_raw()->set_dtype(dtype);
    t.mutable_raw()->set_data(std::string(6, '\0'));
    ASSERT_TRUE(TensorDType(t).ok()) << v1::DType_Name(dtype);
    EXPECT_EQ(*TensorDType(t), dtype);
    EXPECT_EQ(TensorSize(t), 3u);
    const absl::Status wrong = TensorValues<float>(t).status();
    EXPECT_NE(wrong.message().find(v1::DType_Name(dtype)), absl::string_view::npos) << wrong;
    t.mutable_raw()->set_data(std::string(5, '\0'));
    EXPECT_NE(TensorDType(t).status().message().find("multiple of 2"), absl::string_view::npos);
  }
}

TEST(MakeRequestTest, CarriesEverything) {
  const std::vector<double> x = {1, 2}, g = {3, 4};
  const ComputeSpec spec{.function = "softplus",
                         .params = {{"beta", 2}},
                         .mode = v1::MODE_BACKWARD,
                         .encoding = Encoding::kPacked,
                         .shape = {1, 2}};
  const v1::ComputeRequest r = MakeRequest<double>(spec, x, g);
  EXPECT_EQ(r.function(), "softplus");
  EXPECT_EQ(r.params().at("beta"), 2);
  EXPECT_EQ(r.mode(), v1::MODE_BACKWARD);
  EXPECT_EQ(r.input().float64().values_size(), 2);
  EXPECT_EQ(r.grad().float64().values(1), 4);
  EXPECT_EQ(r.grad().shape_size(), 2);
  // No grad given: none sent.
  EXPECT_FALSE(MakeRequest<double>(spec, x).has_grad());
}

TEST(ChannelTargetTest, SingleTargetsPassThrough) {
  EXPECT_EQ(*ChannelTarget("localhost:50051"), "localhost:50051");
  EXPECT_EQ(*ChannelTarget(" dns:///svc:1 "), "dns:///svc:1");
  EXPECT_FALSE(ChannelTarget("").ok());
}

TEST(ChannelTargetTest, ListsBecomeAddressLists) {
  EXPECT_EQ(*ChannelTarget("127.0.0.1:1, 10.0.0.2:2"), "ipv4:127.0.0.1:1,10.0.0.2:2");
  EXPECT_EQ(*ChannelTarget("[::1]:1,[fe80::2]:2"), "ipv6:[::1]:1,[fe80::2]:2");
  // Host names cannot go in gRPC's address lists; mixed families neither.
  EXPECT_FALSE(ChannelTarget("localhost:1,127.0.0.1:2").ok());
  EXPECT_FALSE(ChannelTarget("127.0.0.1:1,[::1]:2").ok());
  EXPECT_FALSE(ChannelTarget("127.0.0.1,127.0.0.2:2").ok());  // no port
  EXPECT_FALSE(ChannelTarget("127.0.0.1:1,").ok());
  EXPECT_FALSE(ChannelTarget("300.0.0.1:1,127.0.0.1:2").ok());
}

TEST(ChannelTargetTest, UnixSocketsAndTheirLists) {
  EXPECT_EQ(*ChannelTarget("unix:/run/a.sock"), "unix:/run/a.sock");
  EXPECT_EQ(*ChannelTarget("unix:///run/a.sock"), "unix:///run/a.sock");
  EXPECT_EQ(*ChannelTarget("unix:/a.sock, unix:///b.sock,unix:rel.sock"),
            "unix:/a.sock,/b.sock,rel.sock");
  EXPECT_FALSE(ChannelTarget("unix:/a.sock,127.0.0.1:1").ok());
  EXPECT_FALSE(ChannelTarget("unix:/a.sock,unix:").ok());
}

TEST(ClientTlsTest, CertificateAndKeyGoTogether) {
  for (const TlsOptions& tls :
       {TlsOptions{.enabled = true, .cert_chain_pem = "x"},
        TlsOptions{.enabled = true, .private_key_pem = "y"}}) {
    auto client = ActivationClient::Create({.target = "127.0.0.1:1", .tls = tls});
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(client.status().message()),
                ::testing::HasSubstr("private key"));
  }
}

TEST(TlsFilesTest, FilesTurnTlsOnAndMissingOnesAreNamed) {
  auto plain = LoadTlsFiles({});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->enabled);
  auto named = LoadTlsFiles({.server_name = "localhost"});
  ASSERT_TRUE(named.ok());
  EXPECT_TRUE(named->enabled);
  EXPECT_EQ(named->server_name, "localhost");
  auto missing = LoadTlsFiles({.roots = "/nonexistent/ca.pem"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              ::testing::HasSubstr("--tls_roots=/nonexistent/ca.pem"));
  auto half = LoadTlsFiles({.cert = "/etc/hostname"});
  EXPECT_EQ(half.status().code(), absl::StatusCode::kInvalidArgument);
  auto read = LoadTlsFiles({.roots = "/etc/hostname"});
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->enabled);
  EXPECT_FALSE(read->root_certs_pem.empty());
}

TEST(ServiceConfigTest, IsJsonWithRoundRobinAndRetries) {
  google::protobuf::Struct config;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ServiceConfigJson(4),
                                                          &config).ok())
      << ServiceConfigJson(4);
  const auto& lb = config.fields().at("loadBalancingConfig").list_value();
  ASSERT_EQ(lb.values_size(), 1);
  EXPECT_TRUE(lb.values(0).struct_value().fields().contains("round_robin"));
  const auto& retry = config.fields().at("methodConfig").list_value().values(0)
                          .struct_value().fields().at("retryPolicy").struct_value();
  EXPECT_EQ(retry.fields().at("maxAttempts").number_value(), 4);
  EXPECT_EQ(retry.fields().at("retryableStatusCodes").list_value().values(0)
                .string_value(),
            "UNAVAILABLE");
  // Retries off: no methodConfig at all.
  google::protobuf::Struct no_retry;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ServiceConfigJson(1),
                                                          &no_retry).ok());
  EXPECT_FALSE(no_retry.fields().contains("methodConfig"));
}

TEST(ActivationClientTest, CreateRejectsBadOptions) {
  EXPECT_FALSE(ActivationClient::Create({.target = "a:1,b:2"}).ok());
  EXPECT_FALSE(
      ActivationClient::Create({.timeout = absl::ZeroDuration()}).ok());
  EXPECT_TRUE(ActivationClient::Create({.target = "127.0.0.1:1"}).ok());
}

TEST(ActivationClientTest, NothingListeningFailsWithinTheDeadline) {
  auto client = ActivationClient::Create(
      {.target = "127.0.0.1:1", .timeout = absl::Seconds(5), .max_attempts = 1});
  ASSERT_TRUE(client.ok());
  const absl::Time start = absl::Now();
  auto r = (*client)->ListActivations({.timeout = absl::Milliseconds(300)});
  EXPECT_FALSE(r.ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

// A socket that accepts connections (the kernel does) and never speaks
// HTTP/2: the channel stays CONNECTING for gRPC's 20 s connect timeout, so
// only the client's own deadline timer can end a call sooner. The minimal
// stack would drop that timer; ClientOptions::minimal_stack keeps it.
TEST(ActivationClientTest, MinimalStackStillEndsCallsAtTheirDeadline) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(listen(listener, 16), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address),
                        &length), 0);
  for (const bool minimal : {false, true}) {
    auto client = ActivationClient::Create(
        {.target = absl::StrCat("127.0.0.1:", ntohs(address.sin_port)),
         .max_attempts = 1,
         .minimal_stack = minimal});
    ASSERT_TRUE(client.ok());
    const absl::Time start = absl::Now();
    auto r = (*client)->Compute<float>({.function = "relu"},
                                       std::vector<float>{1}, {},
                                       {.timeout = absl::Milliseconds(300)});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
        << "minimal_stack=" << minimal << ": " << r.status();
    EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "minimal_stack=" << minimal;
  }
  close(listener);
}

}  // namespace
}  // namespace activation::client
