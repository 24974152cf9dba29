package dev.edgebert;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A verified, zero-copy view of an edgebert model (.ebm): a file mapped read-only, or a direct
 * ByteBuffer (16-byte aligned) kept, not copied, while the model is open. Close it after its
 * sessions.
 */
public final class Model implements AutoCloseable {
  static {
    System.loadLibrary("edgebert_jni");
  }

  long handle;
  private final ByteBuffer buffer; // keeps a wrapped buffer reachable
  private final List<String> labels; // read once: Session.classify names its label by them

  /** Maps the file at {@code path}. */
  public Model(String path) {
    this.handle = nativeOpen(path);
    this.buffer = null;
    this.labels = readLabels(handle);
  }

  /** Views a direct buffer's bytes from its position to its limit. */
  public Model(ByteBuffer direct) {
    if (!direct.isDirect()) {
      throw new IllegalArgumentException("Model(ByteBuffer) needs a direct buffer (no copy is made)");
    }
    this.handle = nativeWrap(direct, direct.position(), direct.remaining());
    this.buffer = direct;
    this.labels = readLabels(handle);
  }

  /** One of encoder, classification, embedding, question_answering, token_classification, masked_lm. */
  public String task() {
    return nativeTask(live());
  }

  public int hidden() {
    return nativeInfo(live(), 0);
  }

  public int numLayers() {
    return nativeInfo(live(), 1);
  }

  public int maxSeq() {
    return nativeInfo(live(), 2);
  }

  public int vocabSize() {
    return nativeInfo(live(), 3);
  }

  public List<String> labels() {
    live();
    return labels;
  }

  private static List<String> readLabels(long handle) {
    List<String> out = new ArrayList<>();
    for (String label : nativeLabels(handle)) out.add(label);
    return Collections.unmodifiableList(out);
  }

  /** The vocabulary piece of a token id. */
  public String token(int id) {
    return nativeToken(live(), id);
  }

  /** A session with the model's max_seq, one thread, the best kernels of this CPU. */
  public Session session() {
    return new Session(this, 0, 1, 1);
  }

  long live() {
    if (handle == 0) throw new IllegalStateException("the model is closed");
    return handle;
  }

  @Override
  public void close() {
    if (handle != 0) nativeClose(handle);
    handle = 0;
  }

  private static native long nativeOpen(String path);

  private static native long nativeWrap(ByteBuffer direct, int offset, int size);

  private static native void nativeClose(long handle);

  private static native String nativeTask(long handle);

  private static native int nativeInfo(long handle, int field);

  private static native String[] nativeLabels(long handle);

  private static native String nativeToken(long handle, int id);
}
