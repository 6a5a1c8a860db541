#include "server/wire_format.h"

#include <google/protobuf/stubs/common.h>

#include <algorithm>
#include <cassert>
#include <limits>

namespace actserver::wire {

std::string Chain::Prefix(std::size_t max_bytes) const {
  std::string out;
  out.reserve(std::min(max_bytes, size_));
  for (const Piece& p : pieces_) {
    if (out.size() >= max_bytes) break;
    out.append(p.data, std::min(p.size, max_bytes - out.size()));
  }
  return out;
}

void Chain::CopyTo(char* out) const {
  for (const Piece& p : pieces_) {
    std::memcpy(out, p.data, p.size);
    out += p.size;
  }
}

void Reader::Settle() {
  if (!settled_once_) {
    remaining_ = chain_->size();
    settled_once_ = true;
  }
  const auto pieces = chain_->pieces();
  while (piece_ < pieces.size() && offset_ == pieces[piece_].size) {
    ++piece_;
    offset_ = 0;
  }
}

bool Reader::ReadByte(std::uint8_t* byte) {
  if (remaining_ == 0) return false;
  *byte = static_cast<std::uint8_t>(chain_->pieces()[piece_].data[offset_]);
  ++offset_;
  --remaining_;
  Settle();
  return true;
}

bool Reader::ReadBytes(char* out, std::size_t n) {
  if (n > remaining_) return false;
  const auto pieces = chain_->pieces();
  while (n > 0) {
    const Piece& p = pieces[piece_];
    const std::size_t take = std::min(n, p.size - offset_);
    std::memcpy(out, p.data + offset_, take);
    out += take;
    n -= take;
    offset_ += take;
    remaining_ -= take;
    Settle();
  }
  return true;
}

bool Reader::ReadLongVarint(std::uint64_t* value, int max_bytes) {
  // At most 10 bytes; the 10th may only contribute bit 63 (protobuf's parser
  // also rejects longer encodings).
  const int limit = std::min(max_bytes, 10);
  std::uint64_t result = 0;
  if (remaining_ != 0) {
    // All `limit` bytes in the current piece: read them in place (a tensor's
    // length, 2 to 4 bytes, seldom straddles a slice).
    const Piece& piece = chain_->pieces()[piece_];
    if (piece.size - offset_ >= static_cast<std::size_t>(limit)) {
      const auto* bytes =
          reinterpret_cast<const std::uint8_t*>(piece.data + offset_);
      for (int i = 0; i < limit; ++i) {
        result |= std::uint64_t{bytes[i] & 0x7fu} << (7 * i);
        if ((bytes[i] & 0x80) == 0) {
          *value = result;
          offset_ += i + 1;
          remaining_ -= i + 1;
          Settle();
          return true;
        }
      }
      return false;
    }
  }
  for (int i = 0; i < limit; ++i) {
    std::uint8_t byte;
    if (!ReadByte(&byte)) return false;
    result |= std::uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

bool Reader::ReadFixed32(std::uint32_t* value) {
  char bytes[4];
  if (!ReadBytes(bytes, 4)) return false;
  std::memcpy(value, bytes, 4);  // little-endian host (static_assert elsewhere)
  return true;
}

bool Reader::ReadFixed64(std::uint64_t* value) {
  char bytes[8];
  if (!ReadBytes(bytes, 8)) return false;
  std::memcpy(value, bytes, 8);
  return true;
}

bool Reader::ReadTag(std::uint32_t* field, WireType* type) {
  // protobuf reads a tag in at most 5 bytes: a longer (zero-padded) one is
  // refused there, so here too (found by tests/fuzz/request_fuzz).
  std::uint64_t tag;
  if (!ReadVarint(&tag, 5)) return false;
  if (tag > std::numeric_limits<std::uint32_t>::max()) return false;
  const std::uint32_t wire_type = tag & 7;
  *field = static_cast<std::uint32_t>(tag >> 3);
  if (*field == 0 || wire_type > kFixed32) return false;
  *type = static_cast<WireType>(wire_type);
  return true;
}

bool Reader::ReadLengthDelimited(Chain* out) {
  // At most 5 bytes, as protobuf reads a length.
  std::uint64_t length;
  if (!ReadVarint(&length, 5)) return false;
  // protobuf limits a length to 2 GiB - 1.
  if (length > std::numeric_limits<std::int32_t>::max() || length > remaining_) {
    return false;
  }
  out->Clear();
  const auto pieces = chain_->pieces();
  // A field that spans pieces (a tensor's bytes: one piece per 16 KiB
  // HTTP/2 frame) gets its room at once.
  if (length > 0 && length > pieces[piece_].size - offset_) {
    out->Reserve(pieces.size() - piece_);
  }
  std::size_t n = length;
  while (n > 0) {
    const Piece& p = pieces[piece_];
    const std::size_t take = std::min(n, p.size - offset_);
    out->Append(Piece{p.data + offset_, take});
    n -= take;
    offset_ += take;
    remaining_ -= take;
    Settle();
  }
  return true;
}

bool Reader::SkipField(std::uint32_t field, WireType type, int depth) {
  switch (type) {
    case kVarint: {
      std::uint64_t v;
      return ReadVarint(&v);
    }
    case kFixed64: {
      std::uint64_t v;
      return ReadFixed64(&v);
    }
    case kFixed32: {
      std::uint32_t v;
      return ReadFixed32(&v);
    }
    case kLengthDelimited: {
      Chain skipped;
      return ReadLengthDelimited(&skipped);
    }
    case kStartGroup:
      return SkipGroup(field, depth + 1);
    case kEndGroup:
      return false;  // an end without its start
  }
  return false;
}

bool Reader::SkipGroup(std::uint32_t field, int depth) {
  // protobuf's default recursion limit.
  if (depth > 100) return false;
  while (true) {
    std::uint32_t inner;
    WireType type;
    if (!ReadTag(&inner, &type)) return false;
    if (type == kEndGroup) return inner == field;
    if (!SkipField(inner, type, depth)) return false;
  }
}

bool Reader::Skip(std::uint32_t field, WireType type) {
  return SkipField(field, type, 0);
}

void Writer::Varint(std::uint64_t v) {
  assert(left() >= VarintSize(v));
  while (v >= 0x80) {
    *pos_++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *pos_++ = static_cast<char>(v);
}

void Writer::Fixed64(std::uint64_t v) {
  assert(left() >= 8);
  std::memcpy(pos_, &v, 8);
  pos_ += 8;
}

void Writer::Bytes(absl::string_view bytes) {
  assert(left() >= bytes.size());
  if (!bytes.empty()) std::memcpy(pos_, bytes.data(), bytes.size());
  pos_ += bytes.size();
}

char* Writer::Reserve(std::size_t n) {
  assert(left() >= n);
  char* start = pos_;
  pos_ += n;
  return start;
}

bool IsValidUtf8(absl::string_view bytes) {
  return google::protobuf::internal::IsStructurallyValidUTF8(
      bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace actserver::wire
