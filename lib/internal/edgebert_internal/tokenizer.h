// The device tokenizer's tables, word scanner and vocabulary hash: the vocabulary trainer splits
// words with the same code the device runs, and the table builder hashes with its function.
#ifndef EDGEBERT_INTERNAL_TOKENIZER_H_
#define EDGEBERT_INTERNAL_TOKENIZER_H_

#include "../../src/tokenizer/tokenizer.h"
#include "../../src/tokenizer/utf8.h"

#endif  // EDGEBERT_INTERNAL_TOKENIZER_H_
