package dev.edgebert;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A verified, zero-copy view of an edgebert model (.ebm): a file mapped read-only, or a direct
 * ByteBuffer (16-byte aligned) kept, not copied, while the model is open. Its shape and task are
 * read once when it opens. Close it after its sessions (closing it while one is open throws).
 */
public final class Model implements AutoCloseable {
  static {
    System.loadLibrary("edgebert_jni");
  }

  long handle;
  private final ByteBuffer buffer; // keeps a wrapped buffer reachable
  private final long[] info; // nativeInfo's fields, in its order
  private final String task, problemType, producer, source;
  private final List<String> labels;
  private int openSessions;

  /** Maps the file at {@code path}. */
  public Model(String path) {
    this(nativeOpen(java.util.Objects.requireNonNull(path, "path")), null);
  }

  /** Views a direct buffer's bytes from its position to its limit. */
  public Model(ByteBuffer direct) {
    this(nativeWrap(direct(direct), direct.position(), direct.remaining()), direct);
  }

  private Model(long handle, ByteBuffer buffer) {
    this.handle = handle;
    this.buffer = buffer;
    this.info = nativeInfo(handle);
    String[] strings = nativeStrings(handle); // task, problem type, producer, source, labels...
    this.task = strings[0];
    this.problemType = strings[1];
    this.producer = strings[2];
    this.source = strings[3];
    this.labels = Collections.unmodifiableList(Arrays.asList(Arrays.copyOfRange(strings, 4, strings.length)));
  }

  private static ByteBuffer direct(ByteBuffer buffer) {
    if (!buffer.isDirect()) {
      throw new IllegalArgumentException("Model(ByteBuffer) needs a direct buffer (no copy is made)");
    }
    return buffer;
  }

  /** Whether this library was built with a provider ("auto", "native", "xnnpack"). */
  public static boolean providerAvailable(String provider) {
    return nativeProviderAvailable(provider);
  }

  /** Verifies every weight tensor's checksum (slow: reads all the bytes); throws if one differs. */
  public void checkWeights() {
    nativeCheckWeights(live());
  }

  /** One of encoder, classification, embedding, question_answering, token_classification, masked_lm. */
  public String task() {
    return task;
  }

  /** A classifier's: single_label, multi_label or regression. */
  public String problemType() {
    return problemType;
  }

  public int schemaVersion() {
    return (int) info[0];
  }

  public int numLayers() {
    return (int) info[1];
  }

  public int hidden() {
    return (int) info[2];
  }

  public int numHeads() {
    return (int) info[3];
  }

  public int headDim() {
    return (int) info[4];
  }

  public int intermediate() {
    return (int) info[5];
  }

  public int vocabSize() {
    return (int) info[6];
  }

  public int maxPositions() {
    return (int) info[7];
  }

  public int typeVocabSize() {
    return (int) info[8];
  }

  /** Longest input the model runs at. */
  public int maxSeq() {
    return (int) info[9];
  }

  /** Labels of a (token) classifier, else 0. */
  public int numLabels() {
    return (int) info[10];
  }

  public boolean hasPooler() {
    return info[11] != 0;
  }

  /** Text input available (tokenize, classify, the tasks). */
  public boolean hasTokenizer() {
    return info[12] != 0;
  }

  /** Bytes of the model. */
  public long size() {
    return info[13];
  }

  /** What made the file, e.g. "edgebert-convert 0.1.0". */
  public String producer() {
    return producer;
  }

  /** Where its weights came from, as the converter recorded it. */
  public String source() {
    return source;
  }

  /** Label names of a (token) classifier, else empty. */
  public List<String> labels() {
    return labels;
  }

  /** The vocabulary piece of a token id, e.g. "##ing". */
  public String token(int id) {
    return nativeToken(live(), id);
  }

  /** A session with the model's max_seq, one thread, the best kernels of this CPU. */
  public Session session() {
    return new Session(this, new Session.Options());
  }

  public Session session(Session.Options options) {
    return new Session(this, options);
  }

  long live() {
    if (handle == 0) throw new IllegalStateException("the model is closed");
    return handle;
  }

  synchronized long openSession() {
    long h = live();
    ++openSessions;
    return h;
  }

  synchronized void sessionClosed() {
    --openSessions;
  }

  @Override
  public synchronized void close() {
    if (openSessions > 0) {
      throw new IllegalStateException(openSessions + " session(s) of this model are still open: close them first");
    }
    if (handle != 0) nativeClose(handle);
    handle = 0;
  }

  @Override
  public String toString() {
    return "Model(" + task + ", " + numLayers() + " layers of " + hidden() + ", max_seq " + maxSeq() + ")";
  }

  private static native long nativeOpen(String path);

  private static native long nativeWrap(ByteBuffer direct, int offset, int size);

  private static native void nativeClose(long handle);

  private static native void nativeCheckWeights(long handle);

  private static native long[] nativeInfo(long handle);

  private static native String[] nativeStrings(long handle);

  private static native String nativeToken(long handle, int id);

  private static native boolean nativeProviderAvailable(String provider);
}
