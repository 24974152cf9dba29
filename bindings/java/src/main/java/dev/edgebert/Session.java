package dev.edgebert;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A model's inference session: the binding allocates its arena (exactly the planned bytes); the
 * runtime allocates nothing. Calls are synchronized: a session runs one call at a time, so give
 * each thread its own for parallel work. Offsets in results are Java String (UTF-16) indices.
 */
public final class Session implements AutoCloseable {
  /** Result of {@link #classify}. */
  public static final class Classification {
    public final String label;
    public final int index;
    public final float[] probabilities;

    Classification(String label, int index, float[] probabilities) {
      this.label = label;
      this.index = index;
      this.probabilities = probabilities;
    }
  }

  /** One answer of {@link #answer}: context.substring(start, end). */
  public static final class Answer {
    public final float score;
    public final int start, end;
    public final String text;

    Answer(float score, int start, int end, String text) {
      this.score = score;
      this.start = start;
      this.end = end;
      this.text = text;
    }
  }

  /** One entity of {@link #tag}: text.substring(start, end). */
  public static final class Entity {
    public final String label;
    public final float score;
    public final int start, end;
    public final String word;

    Entity(String label, float score, int start, int end, String word) {
      this.label = label;
      this.score = score;
      this.start = start;
      this.end = end;
      this.word = word;
    }
  }

  private final Model model; // kept open while the session lives
  private long handle;

  /** maxSeq 0: the model's; threads > 1 gives the session a thread pool of its own. */
  public Session(Model model, int maxSeq, int threads, int maxBatch) {
    this.model = model;
    this.handle = nativeCreate(model.live(), maxSeq, threads, maxBatch);
  }

  /** Name of the kernel set running the model, e.g. "avx2". */
  public synchronized String kernels() {
    return nativeKernels(live());
  }

  public synchronized Classification classify(String text) {
    return classify(text, null);
  }

  /** Classifies a text or a pair (pair may be null). */
  public synchronized Classification classify(String text, String pair) {
    float[] probabilities = nativeClassify(live(), utf8(text), pair == null ? null : utf8(pair));
    int best = 0;
    for (int i = 1; i < probabilities.length; ++i) if (probabilities[i] > probabilities[best]) best = i;
    return new Classification(model.labels().get(best), best, probabilities);
  }

  /** Sentence embedding with the model's pooling. */
  public synchronized float[] embed(String text) {
    return nativeEmbed(live(), utf8(text));
  }

  /** Cross-encoder logits of (query, passage) pairs. */
  public synchronized float[] score(String query, List<String> passages) {
    byte[][] bytes = new byte[passages.size()][];
    for (int i = 0; i < bytes.length; ++i) bytes[i] = utf8(passages.get(i));
    return nativeScore(live(), utf8(query), bytes);
  }

  /** The topK best answers to question in context (the question-answering pipeline). */
  public synchronized Answer[] answer(String question, String context, int topK) {
    byte[] c = utf8(context);
    float[] scores = new float[topK];
    int[] spans = new int[2 * topK];
    int n = nativeAnswer(live(), utf8(question), c, topK, scores, spans);
    Answer[] out = new Answer[n];
    for (int i = 0; i < n; ++i) {
      int start = charIndex(c, spans[2 * i]), end = charIndex(c, spans[2 * i + 1]);
      out[i] = new Answer(scores[i], start, end, context.substring(start, end));
    }
    return out;
  }

  /** Entities of text; aggregation none, simple, first, average or max ("O" left out). */
  public synchronized Entity[] tag(String text, String aggregation) {
    byte[] t = utf8(text);
    Object[] raw = nativeTag(live(), t, aggregation); // {String[] labels, float[] scores, int[] spans}
    String[] labels = (String[]) raw[0];
    float[] scores = (float[]) raw[1];
    int[] spans = (int[]) raw[2];
    Entity[] out = new Entity[labels.length];
    for (int i = 0; i < out.length; ++i) {
      int start = charIndex(t, spans[2 * i]), end = charIndex(t, spans[2 * i + 1]);
      out[i] = new Entity(labels[i], scores[i], start, end, text.substring(start, end));
    }
    return out;
  }

  /** For each [MASK] of text, the topK token ids, best first: result[mask][k]. */
  public synchronized int[][] fillMask(String text, int topK) {
    return nativeFillMask(live(), utf8(text), topK);
  }

  private long live() {
    if (handle == 0) throw new IllegalStateException("the session is closed");
    return handle;
  }

  @Override
  public synchronized void close() {
    if (handle != 0) nativeDestroy(handle);
    handle = 0;
  }

  private static byte[] utf8(String s) {
    if (s == null) throw new NullPointerException("text is null");
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // UTF-16 index in a String of a byte offset of its UTF-8: 4-byte sequences are two chars.
  static int charIndex(byte[] utf8, int byteOffset) {
    int n = 0;
    for (int i = 0; i < byteOffset && i < utf8.length; ++i) {
      int b = utf8[i] & 0xFF;
      if ((b & 0xC0) != 0x80) n += b >= 0xF0 ? 2 : 1;
    }
    return n;
  }

  private static native long nativeCreate(long model, int maxSeq, int threads, int maxBatch);

  private static native void nativeDestroy(long handle);

  private static native String nativeKernels(long handle);

  private static native float[] nativeClassify(long handle, byte[] text, byte[] pair);

  private static native float[] nativeEmbed(long handle, byte[] text);

  private static native float[] nativeScore(long handle, byte[] query, byte[][] passages);

  private static native int nativeAnswer(long handle, byte[] question, byte[] context, int topK,
      float[] scores, int[] spans);

  private static native Object[] nativeTag(long handle, byte[] text, String aggregation);

  private static native int[][] nativeFillMask(long handle, byte[] text, int topK);
}
