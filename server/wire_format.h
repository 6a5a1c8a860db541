// Protocol Buffers' wire format, read from the slices a message arrived in and
// written into buffers we own -- the two halves of the server's data path that
// never copy a tensor.
//
// gRPC hands a received message over as a chain of slices (TCP reads of 8 to
// 64 KiB); a `Chain` is such a byte sequence, and the `Reader` walks it field
// by field, handing length-delimited fields back as sub-chains that point into
// the same slices. The `Writer` lays out a message whose size was computed
// first (the `*Size` functions), so a tensor's bytes can be computed in place.
//
// Only what activation.v1's messages use is here: varints, 32- and 64-bit
// fixed values, length-delimited fields; groups (deprecated) are skipped.
#ifndef SERVER_WIRE_FORMAT_H_
#define SERVER_WIRE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace actserver::wire {

enum WireType : std::uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Contiguous bytes owned elsewhere (a slice of the message, or our buffer).
struct Piece {
  const char* data = nullptr;
  std::size_t size = 0;
};

// A byte sequence made of pieces, in order. Copying a Chain copies the piece
// list, never the bytes. Pieces are never empty.
class Chain {
 public:
  Chain() = default;
  explicit Chain(Piece piece) { Append(piece); }

  void Append(Piece piece) {
    if (piece.size == 0) return;
    pieces_.push_back(piece);
    size_ += piece.size;
  }
  void Append(const Chain& other) {
    for (const Piece& p : other.pieces_) Append(p);
  }
  void Clear() {
    pieces_.clear();
    size_ = 0;
  }
  // Room for `pieces` pieces in all, so that appending them allocates once.
  void Reserve(std::size_t pieces) { pieces_.reserve(pieces); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const Piece> pieces() const { return pieces_; }

  // The first min(size(), max_bytes) bytes, copied.
  std::string Prefix(std::size_t max_bytes) const;
  // Copies all bytes to `out` (which holds size() bytes).
  void CopyTo(char* out) const;

 private:
  absl::InlinedVector<Piece, 2> pieces_;
  std::size_t size_ = 0;
};

// Reads one message's fields in order. Every Read* returns false at a
// malformed or truncated encoding; the reader is then unusable. Not
// thread-safe; the chain's bytes must outlive the reader and what it returns.
class Reader {
 public:
  explicit Reader(const Chain& chain) : chain_(&chain) { Settle(); }

  bool AtEnd() const { return remaining_ == 0; }

  // The next field's number and wire type. False for a malformed tag (field
  // number 0, a wire type protobuf does not define) or the end of the data.
  bool ReadTag(std::uint32_t* field, WireType* type);

  // A varint of at most `max_bytes` bytes (10 for a value; protobuf reads tags
  // and lengths in at most 5 and refuses longer, even zero-padded, encodings).
  // Inline for the one-byte case -- every tag, enum and short length of
  // activation.v1's messages: a Compute request reads 12 varints, and the
  // byte-at-a-time loop cost ~60 instructions each (docs/benchmarks.md,
  // "Session 24: the RPC path per call at 1 Ki values, Unix beside TCP
  // (branch rpc8)").
  bool ReadVarint(std::uint64_t* value, int max_bytes = 10) {
    if (remaining_ != 0) {
      const Piece& piece = chain_->pieces()[piece_];
      const auto byte = static_cast<std::uint8_t>(piece.data[offset_]);
      if (byte < 0x80) {
        *value = byte;
        --remaining_;
        if (++offset_ == piece.size) Settle();
        return true;
      }
    }
    return ReadLongVarint(value, max_bytes);
  }
  bool ReadFixed32(std::uint32_t* value);
  bool ReadFixed64(std::uint64_t* value);
  // A length-delimited field's bytes, as pieces of the same slices.
  bool ReadLengthDelimited(Chain* out);
  // Skips a field of `type` whose tag was just read (`field` matches the end
  // of a group).
  bool Skip(std::uint32_t field, WireType type);

 private:
  // ReadVarint past its one-byte case.
  bool ReadLongVarint(std::uint64_t* value, int max_bytes);
  bool ReadByte(std::uint8_t* byte);
  bool ReadBytes(char* out, std::size_t n);
  bool SkipGroup(std::uint32_t field, int depth);
  bool SkipField(std::uint32_t field, WireType type, int depth);
  // Moves past exhausted pieces.
  void Settle();

  const Chain* chain_;
  std::size_t piece_ = 0;   // index of the current piece
  std::size_t offset_ = 0;  // within it
  std::size_t remaining_ = 0;
  bool settled_once_ = false;
};

// Sizes on the wire.
constexpr std::size_t VarintSize(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
constexpr std::size_t TagSize(std::uint32_t field) {
  return VarintSize(std::uint64_t{field} << 3);
}
// A length-delimited field holding `length` bytes, tag included.
constexpr std::size_t LengthDelimitedSize(std::uint32_t field,
                                          std::size_t length) {
  return TagSize(field) + VarintSize(length) + length;
}

// Writes into a buffer sized beforehand; writing past its end is a bug, caught
// by a debug assertion. Not thread-safe.
class Writer {
 public:
  Writer(char* begin, std::size_t size) : pos_(begin), end_(begin + size) {}

  void Tag(std::uint32_t field, WireType type) {
    Varint((std::uint64_t{field} << 3) | type);
  }
  void Varint(std::uint64_t v);
  void Fixed64(std::uint64_t v);
  // Tag and length of a length-delimited field whose body follows.
  void LengthDelimitedHeader(std::uint32_t field, std::size_t length) {
    Tag(field, kLengthDelimited);
    Varint(length);
  }
  void Bytes(absl::string_view bytes);
  // Reserves `n` bytes written later (a tensor computed in place) and
  // returns where they start.
  char* Reserve(std::size_t n);

  char* position() const { return pos_; }
  std::size_t left() const { return static_cast<std::size_t>(end_ - pos_); }

 private:
  char* pos_;
  char* end_;
};

// Whether `bytes` is valid UTF-8, as proto3 requires of `string` fields:
// protobuf's own check, so we accept exactly what its parser accepts.
bool IsValidUtf8(absl::string_view bytes);

}  // namespace actserver::wire

#endif  // SERVER_WIRE_FORMAT_H_
