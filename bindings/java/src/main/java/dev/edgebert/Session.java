package dev.edgebert;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * A model's inference session: the binding allocates its arena (exactly the planned bytes); the
 * runtime allocates nothing. Calls are synchronized: a session runs one call at a time, so give
 * each thread its own for parallel work. Offsets in results are Java String (UTF-16) indices
 * ({@code text.substring(start, end)}), with the UTF-8 byte offsets beside them. Results are
 * copies: they stay valid after the next call.
 */
public final class Session implements AutoCloseable {
  /** Session options; setters return this, e.g. {@code new Options().maxSeq(128).threads(4)}. */
  public static final class Options {
    int maxSeq = 0, threads = 1, maxBatch = 1;
    String kernels = null, provider = "auto";

    /** Longest input, 0 (default): the model's. */
    public Options maxSeq(int maxSeq) {
      this.maxSeq = maxSeq;
      return this;
    }

    /** Threads > 1 give the session a thread pool of its own (default 1). */
    public Options threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** Force a kernel set ("reference", "avx2", "avx512vnni", ...); null (default): the best here. */
    public Options kernels(String kernels) {
      this.kernels = kernels;
      return this;
    }

    /** "auto" (default), "native" or "xnnpack". */
    public Options provider(String provider) {
      this.provider = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /** Sequences one runBatch / score run may take (default 1). */
    public Options maxBatch(int maxBatch) {
      this.maxBatch = maxBatch;
      return this;
    }
  }

  /** Options of {@link #answer}: the question-answering pipeline's. */
  public static final class AnswerOptions {
    int topK = 1, maxAnswerLen = 15, docStride = -1;
    boolean handleImpossibleAnswer = false, alignToWords = true;

    /** Answers wanted (default 1). */
    public AnswerOptions topK(int topK) {
      this.topK = topK;
      return this;
    }

    /** Longest answer in tokens (default 15). */
    public AnswerOptions maxAnswerLen(int maxAnswerLen) {
      this.maxAnswerLen = maxAnswerLen;
      return this;
    }

    /** Tokens shared by consecutive windows of a long context; default min(maxSeq / 2, 128). */
    public AnswerOptions docStride(int docStride) {
      if (docStride < 0) throw new IllegalArgumentException("docStride must be >= 0");
      this.docStride = docStride;
      return this;
    }

    /** Rank the empty answer too (SQuAD 2.0 models); default false. */
    public AnswerOptions handleImpossibleAnswer(boolean handleImpossibleAnswer) {
      this.handleImpossibleAnswer = handleImpossibleAnswer;
      return this;
    }

    /** Widen a span to the whole words it touches (default true). */
    public AnswerOptions alignToWords(boolean alignToWords) {
      this.alignToWords = alignToWords;
      return this;
    }
  }

  /** Options of {@link #tag}: the token-classification pipeline's. */
  public static final class TagOptions {
    String aggregation = "none", ignoreLabel = "O";

    /** none (default), simple, first, average or max. */
    public TagOptions aggregation(String aggregation) {
      this.aggregation = Objects.requireNonNull(aggregation, "aggregation");
      return this;
    }

    /** Entities with this label (none) or group (others) are left out; default "O"; null keeps all. */
    public TagOptions ignoreLabel(String ignoreLabel) {
      this.ignoreLabel = ignoreLabel;
      return this;
    }
  }

  /** Result of {@link #tokenize}: Hugging Face BertTokenizerFast's encoding. */
  public static final class Tokens {
    public final int[] ids, tokenTypeIds, attentionMask;
    /** String indices of each token in its text (sequence 0) or pair (1); special tokens 0, 0. */
    public final int[] starts, ends;
    /** UTF-8 byte [begin, end) of each token in its text: byteOffsets[2 * i], byteOffsets[2 * i + 1]. */
    public final int[] byteOffsets;
    /** 0 = text, 1 = pair, -1 = special token. */
    public final int[] sequence;
    public final String[] pieces;

    Tokens(int[] ids, int[] tokenTypeIds, int[] attentionMask, int[] starts, int[] ends,
        int[] byteOffsets, int[] sequence, String[] pieces) {
      this.ids = ids;
      this.tokenTypeIds = tokenTypeIds;
      this.attentionMask = attentionMask;
      this.starts = starts;
      this.ends = ends;
      this.byteOffsets = byteOffsets;
      this.sequence = sequence;
      this.pieces = pieces;
    }
  }

  /** Result of {@link #classify}. */
  public static final class Classification {
    public final String label;
    public final int index;
    public final float[] probabilities;
    /** Windows read (1 unless a long text was read with a stride). */
    public final int windows;

    Classification(String label, int index, float[] probabilities, int windows) {
      this.label = label;
      this.index = index;
      this.probabilities = probabilities;
      this.windows = windows;
    }
  }

  /** One answer of {@link #answer}: context.substring(start, end); the empty answer is 0, 0. */
  public static final class Answer {
    public final float score;
    public final int start, end, byteStart, byteEnd;
    public final String text;

    Answer(float score, int start, int end, int byteStart, int byteEnd, String text) {
      this.score = score;
      this.start = start;
      this.end = end;
      this.byteStart = byteStart;
      this.byteEnd = byteEnd;
      this.text = text;
    }
  }

  /** One entity (or token) of {@link #tag}: text.substring(start, end). */
  public static final class Entity {
    /** Aggregation none: the token's label ("B-PER"); others: the group ("PER"). */
    public final String label;
    public final int labelIndex;
    public final float score;
    public final int start, end, byteStart, byteEnd;
    /** Index of its first token in {@link #tokenize}'s encoding of the text, and tokens it spans. */
    public final int firstToken, tokens;
    public final String word;

    Entity(String label, int labelIndex, float score, int start, int end, int byteStart, int byteEnd,
        int firstToken, int tokens, String word) {
      this.label = label;
      this.labelIndex = labelIndex;
      this.score = score;
      this.start = start;
      this.end = end;
      this.byteStart = byteStart;
      this.byteEnd = byteEnd;
      this.firstToken = firstToken;
      this.tokens = tokens;
      this.word = word;
    }
  }

  /** One candidate of {@link #fillMask}. */
  public static final class TokenScore {
    public final int token;
    public final String tokenStr;
    /** Softmax over the vocabulary. */
    public final float probability;
    /** Index of the mask token in the encoding. */
    public final int position;

    TokenScore(int token, String tokenStr, float probability, int position) {
      this.token = token;
      this.tokenStr = tokenStr;
      this.probability = probability;
      this.position = position;
    }
  }

  private final Model model; // kept open while the session lives
  private final Options options;
  private long handle;

  public Session(Model model, Options options) {
    this.model = model;
    this.options = options;
    long m = model.openSession();
    try {
      this.handle = nativeCreate(m, options.maxSeq, options.threads, options.kernels, options.provider,
          options.maxBatch);
    } catch (RuntimeException e) {
      model.sessionClosed();
      throw e;
    }
  }

  /** maxSeq 0: the model's; threads > 1 gives the session a thread pool of its own. */
  public Session(Model model, int maxSeq, int threads, int maxBatch) {
    this(model, new Options().maxSeq(maxSeq).threads(threads).maxBatch(maxBatch));
  }

  public Model model() {
    return model;
  }

  /** Name of the kernel set running the model, e.g. "avx2"; "fp32-reference" for fp32 models. */
  public synchronized String kernels() {
    return nativeStrings(live())[0];
  }

  /** "native" or "xnnpack". */
  public synchronized String provider() {
    return nativeStrings(live())[1];
  }

  /** Bytes of this session's arena. */
  public synchronized long arenaBytes() {
    return nativeArenaBytes(live());
  }

  public int maxSeq() {
    return options.maxSeq == 0 ? model.maxSeq() : options.maxSeq;
  }

  public int maxBatch() {
    return Math.max(options.maxBatch, 1);
  }

  public int threads() {
    return Math.max(options.threads, 1);
  }

  /** Most probable label index of the last run, -1 if not a classifier or nothing ran. */
  public synchronized int label() {
    return nativeLabel(live());
  }

  /** Runs token ids; tokenTypeIds and attentionMask may be null (all 0, all 1). Read {@link #output}. */
  public synchronized void run(int[] inputIds, int[] tokenTypeIds, int[] attentionMask) {
    nativeRun(live(), Objects.requireNonNull(inputIds, "inputIds"), tokenTypeIds, attentionMask);
  }

  public synchronized void run(int[] inputIds) {
    run(inputIds, null, null);
  }

  /**
   * Runs up to maxBatch sequences in one pass; each gets exactly the outputs it gets alone. Token
   * outputs are then the sequences' rows back to back, the others one row per sequence.
   */
  public synchronized void runBatch(int[][] inputIds, int[][] tokenTypeIds, int[][] attentionMask) {
    nativeRunBatch(live(), Objects.requireNonNull(inputIds, "inputIds"), tokenTypeIds, attentionMask);
  }

  /**
   * A copy of an output of the last run, row-major: last_hidden (tokens x hidden), pooled, logits,
   * probabilities, embedding or token_logits; null if the model has no such output.
   */
  public synchronized float[] output(String name) {
    return nativeOutput(live(), Objects.requireNonNull(name, "name"));
  }

  /** The encoding of a text (and a pair, may be null), truncated to maxSeq. */
  public synchronized Tokens tokenize(String text, String pair) {
    byte[] a = utf8(text), b = pair == null ? null : utf8(pair);
    int[][] raw = nativeTokenize(live(), a, b); // ids, types, mask, byte offsets, sequence
    int n = raw[0].length;
    int[] mapA = charIndexes(a), mapB = b == null ? null : charIndexes(b);
    int[] starts = new int[n], ends = new int[n];
    String[] pieces = new String[n];
    for (int i = 0; i < n; ++i) {
      int[] map = raw[4][i] == 1 ? mapB : mapA;
      starts[i] = map[raw[3][2 * i]];
      ends[i] = map[raw[3][2 * i + 1]];
      pieces[i] = model.token(raw[0][i]);
    }
    return new Tokens(raw[0], raw[1], raw[2], starts, ends, raw[3], raw[4], pieces);
  }

  public synchronized Tokens tokenize(String text) {
    return tokenize(text, null);
  }

  public synchronized Classification classify(String text) {
    return classify(text, null);
  }

  /** Classifies a text or a pair (pair may be null). */
  public synchronized Classification classify(String text, String pair) {
    int[] labelWindows = new int[2];
    float[] p = nativeClassify(live(), utf8(text), pair == null ? null : utf8(pair), -1, labelWindows);
    return new Classification(model.labels().get(labelWindows[0]), labelWindows[0], p, labelWindows[1]);
  }

  /**
   * Classifies a long text: read in windows of maxSeq - 2 tokens sharing {@code stride}, the
   * label and probabilities from the mean of their logits. A text that fits is one window.
   */
  public synchronized Classification classifyLong(String text, int stride) {
    if (stride < 0) throw new IllegalArgumentException("stride must be >= 0");
    int[] labelWindows = new int[2];
    float[] p = nativeClassify(live(), utf8(text), null, stride, labelWindows);
    return new Classification(model.labels().get(labelWindows[0]), labelWindows[0], p, labelWindows[1]);
  }

  /** Sentence embedding with the model's pooling. */
  public synchronized float[] embed(String text) {
    return nativeEmbed(live(), utf8(text), -1);
  }

  /** Embedding of a long text: the mean over windows sharing {@code stride} tokens. */
  public synchronized float[] embedLong(String text, int stride) {
    if (stride < 0) throw new IllegalArgumentException("stride must be >= 0");
    return nativeEmbed(live(), utf8(text), stride);
  }

  /** Cross-encoder logits of (query, passage) pairs, maxBatch passages per run. */
  public synchronized float[] score(String query, List<String> passages) {
    return score(query, passages, false);
  }

  /** Cross-encoder scores: the logits, or their sigmoid. */
  public synchronized float[] score(String query, List<String> passages, boolean sigmoid) {
    byte[][] bytes = new byte[passages.size()][];
    for (int i = 0; i < bytes.length; ++i) bytes[i] = utf8(passages.get(i));
    return nativeScore(live(), utf8(query), bytes, sigmoid);
  }

  /** The topK best answers to question in context, best first. */
  public synchronized Answer[] answer(String question, String context, int topK) {
    return answer(question, context, new AnswerOptions().topK(topK));
  }

  /** Extractive question answering as transformers' question-answering pipeline. */
  public synchronized Answer[] answer(String question, String context, AnswerOptions o) {
    byte[] c = utf8(context);
    Object[] raw = nativeAnswer(live(), utf8(question), c, o.topK, o.maxAnswerLen, o.docStride,
        o.handleImpossibleAnswer, o.alignToWords); // {float[] scores, int[] byte spans}
    float[] scores = (float[]) raw[0];
    int[] spans = (int[]) raw[1];
    int[] map = charIndexes(c);
    Answer[] out = new Answer[scores.length];
    for (int i = 0; i < out.length; ++i) {
      int start = map[spans[2 * i]], end = map[spans[2 * i + 1]];
      out[i] = new Answer(scores[i], start, end, spans[2 * i], spans[2 * i + 1], context.substring(start, end));
    }
    return out;
  }

  /** Entities of text; aggregation none, simple, first, average or max ("O" left out). */
  public synchronized Entity[] tag(String text, String aggregation) {
    return tag(text, new TagOptions().aggregation(aggregation));
  }

  /** Token classification as transformers' token-classification pipeline. */
  public synchronized Entity[] tag(String text, TagOptions o) {
    byte[] t = utf8(text);
    // {String[] labels, float[] scores, int[] (label index, byte start, byte end, first token, tokens)}
    Object[] raw = nativeTag(live(), t, o.aggregation, o.ignoreLabel);
    String[] labels = (String[]) raw[0];
    float[] scores = (float[]) raw[1];
    int[] f = (int[]) raw[2];
    int[] map = charIndexes(t);
    Entity[] out = new Entity[labels.length];
    for (int i = 0; i < out.length; ++i) {
      int start = map[f[5 * i + 1]], end = map[f[5 * i + 2]];
      out[i] = new Entity(labels[i], f[5 * i], scores[i], start, end, f[5 * i + 1], f[5 * i + 2],
          f[5 * i + 3], f[5 * i + 4], text.substring(start, end));
    }
    return out;
  }

  /** For each [MASK] of text, the topK tokens by probability, best first: result[mask][k]. */
  public synchronized TokenScore[][] fillMask(String text, int topK) {
    Object[] raw = nativeFillMask(live(), utf8(text), topK); // {int[] tokens, float[] probabilities, int[] positions}
    int[] tokens = (int[]) raw[0];
    float[] probabilities = (float[]) raw[1];
    int[] positions = (int[]) raw[2];
    TokenScore[][] out = new TokenScore[tokens.length / topK][topK];
    for (int i = 0; i < tokens.length; ++i) {
      out[i / topK][i % topK] = new TokenScore(tokens[i], model.token(tokens[i]), probabilities[i], positions[i]);
    }
    return out;
  }

  private long live() {
    if (handle == 0) throw new IllegalStateException("the session is closed");
    return handle;
  }

  @Override
  public synchronized void close() {
    if (handle != 0) {
      nativeDestroy(handle);
      model.sessionClosed();
    }
    handle = 0;
  }

  private static byte[] utf8(String s) {
    if (s == null) throw new NullPointerException("text is null");
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // String (UTF-16) index of each byte offset 0..length of a String's UTF-8: 4-byte sequences
  // are two chars.
  static int[] charIndexes(byte[] utf8) {
    int[] map = new int[utf8.length + 1];
    int n = 0;
    for (int i = 0; i < utf8.length; ++i) {
      map[i] = n;
      int b = utf8[i] & 0xFF;
      if ((b & 0xC0) != 0x80) n += b >= 0xF0 ? 2 : 1;
    }
    map[utf8.length] = n;
    return map;
  }

  private static native long nativeCreate(long model, int maxSeq, int threads, String kernels,
      String provider, int maxBatch);

  private static native void nativeDestroy(long handle);

  private static native String[] nativeStrings(long handle);

  private static native long nativeArenaBytes(long handle);

  private static native int nativeLabel(long handle);

  private static native void nativeRun(long handle, int[] ids, int[] types, int[] mask);

  private static native void nativeRunBatch(long handle, int[][] ids, int[][] types, int[][] mask);

  private static native float[] nativeOutput(long handle, String name);

  private static native int[][] nativeTokenize(long handle, byte[] text, byte[] pair);

  private static native float[] nativeClassify(long handle, byte[] text, byte[] pair, int stride,
      int[] labelWindows);

  private static native float[] nativeEmbed(long handle, byte[] text, int stride);

  private static native float[] nativeScore(long handle, byte[] query, byte[][] passages, boolean sigmoid);

  private static native Object[] nativeAnswer(long handle, byte[] question, byte[] context, int topK,
      int maxAnswerLen, int docStride, boolean handleImpossibleAnswer, boolean alignToWords);

  private static native Object[] nativeTag(long handle, byte[] text, String aggregation, String ignoreLabel);

  private static native Object[] nativeFillMask(long handle, byte[] text, int topK);
}
