// Byte strings cut into pieces, as gRPC hands a received message over.
#ifndef TESTS_SERVER_WIRE_TEST_UTIL_H_
#define TESTS_SERVER_WIRE_TEST_UTIL_H_

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "server/wire_format.h"

namespace actserver::testing {

// `bytes` as a chain of pieces of `piece` bytes (the last one shorter); 0
// means one piece. Each piece is its own allocation, so reading past a
// piece's end is caught by ASan.
class Sliced {
 public:
  Sliced(const std::string& bytes, std::size_t piece) {
    if (piece == 0) piece = bytes.size();
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      const std::size_t n = std::min(piece, bytes.size() - at);
      storage_.push_back(std::make_unique<char[]>(n));
      std::copy(bytes.begin() + at, bytes.begin() + at + n, storage_.back().get());
      chain_.Append(wire::Piece{storage_.back().get(), n});
    }
  }
  // Cut at the given offsets (ascending, inside the string).
  Sliced(const std::string& bytes, const std::vector<std::size_t>& cuts) {
    std::size_t from = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(bytes.size());
    for (std::size_t to : ends) {
      if (to <= from) continue;
      storage_.push_back(std::make_unique<char[]>(to - from));
      std::copy(bytes.begin() + from, bytes.begin() + to, storage_.back().get());
      chain_.Append(wire::Piece{storage_.back().get(), to - from});
      from = to;
    }
  }
  const wire::Chain& chain() const { return chain_; }

 private:
  std::vector<std::unique_ptr<char[]>> storage_;
  wire::Chain chain_;
};

}  // namespace actserver::testing

#endif  // TESTS_SERVER_WIRE_TEST_UTIL_H_
