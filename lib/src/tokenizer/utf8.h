// UTF-8 decoding for the tokenizer. Invalid input is handled deterministically the way Python's
// bytes.decode("utf-8", errors="replace") does it: each maximal subpart of an ill-formed sequence
// (Unicode §3.9, "U+FFFD substitution of maximal subparts") becomes one U+FFFD. Overlong forms,
// surrogates and code points above U+10FFFF are ill-formed.
#ifndef EDGEBERT_SRC_TOKENIZER_UTF8_H_
#define EDGEBERT_SRC_TOKENIZER_UTF8_H_

#include <cstddef>
#include <cstdint>

namespace edgebert {

constexpr uint32_t kReplacementCharacter = 0xFFFD;

// Decodes the code point at text[*pos] (*pos < size) and advances *pos past it.
inline uint32_t utf8_decode(const uint8_t* text, size_t size, size_t* pos) {
  const size_t i = *pos;
  const uint8_t b0 = text[i];
  if (b0 < 0x80) {
    *pos = i + 1;
    return b0;
  }
  size_t length;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  uint32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // no overlongs
    if (b0 == 0xF4) hi = 0x8F;  // <= U+10FFFF
  } else {
    *pos = i + 1;  // stray continuation byte, C0, C1 or F5..FF
    return kReplacementCharacter;
  }
  for (size_t k = 1; k < length; ++k) {
    const size_t at = i + k;
    const uint8_t b = at < size ? text[at] : 0;
    const bool ok = at < size && (k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF));
    if (!ok) {
      *pos = at;  // the maximal subpart ends before the offending byte
      return kReplacementCharacter;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *pos = i + length;
  return cp;
}

// Code points of `size` bytes of well-formed UTF-8 (its non-continuation bytes).
inline size_t utf8_code_points(const char* bytes, size_t size) {
  size_t n = 0;
  for (size_t i = 0; i < size; ++i) n += (static_cast<uint8_t>(bytes[i]) & 0xC0) != 0x80;
  return n;
}

// Writes the UTF-8 encoding of a valid code point into out (4 bytes room); returns its length.
inline size_t utf8_encode(uint32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

}  // namespace edgebert

#endif  // EDGEBERT_SRC_TOKENIZER_UTF8_H_
