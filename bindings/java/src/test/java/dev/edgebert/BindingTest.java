package dev.edgebert;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java binding's test (bindings/java/run_test.py drives it): checks loading, errors and
 * threads itself, then answers the TSV cases on stdin (task, max_seq, fields; each hex of its UTF-8) with one TSV result
 * line each, which the driver compares with transformers' and the C API's results.
 *
 * usage: BindingTest CLASSIFIER QA TAGGER MLM RERANKER < cases.tsv
 */
public final class BindingTest {
  static void check(boolean ok, String what) {
    if (!ok) throw new AssertionError(what);
  }

  interface Body {
    void run() throws Exception;
  }

  static void expectThrows(Class<? extends Throwable> type, String contains, Body body) throws Exception {
    try {
      body.run();
    } catch (Throwable t) {
      check(type.isInstance(t), "expected " + type.getSimpleName() + ", got " + t);
      check(t.getMessage() != null && t.getMessage().contains(contains),
          "message of " + t + " should contain " + contains);
      return;
    }
    throw new AssertionError("expected " + type.getSimpleName() + " containing " + contains);
  }

  static void selfChecks(String classifierPath, String qaPath) throws Exception {
    try (Model model = new Model(classifierPath); Session session = model.session()) {
      check(model.task().equals("classification"), "task " + model.task());
      check(model.labels().equals(Arrays.asList("negative", "neutral", "positive")), "labels " + model.labels());
      Session.Classification c = session.classify("you will quickly recognize him");
      check(c.probabilities.length == 3, "3 probabilities");
      check(c.label.equals(model.labels().get(c.index)), "label name");
      // The same bytes through a direct ByteBuffer: the same numbers.
      byte[] bytes = Files.readAllBytes(Paths.get(classifierPath));
      ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 64);
      direct.put(bytes).flip();
      try (Model wrapped = new Model(direct); Session s2 = wrapped.session()) {
        check(Arrays.equals(s2.classify("you will quickly recognize him").probabilities, c.probabilities),
            "ByteBuffer model gives the same probabilities");
      } catch (EdgebertException e) {
        check(e.status().equals("EB_ERROR_MISALIGNED"), "only misalignment may refuse a direct buffer: " + e);
      }
      // Two threads, a session each: the same results as one by one.
      String[] texts = {"a", "quietly moving", "not good at all", "the best film of the year"};
      float[][] serial = new float[texts.length][];
      for (int i = 0; i < texts.length; ++i) serial[i] = session.classify(texts[i]).probabilities;
      float[][] parallel = new float[texts.length][];
      Thread[] threads = new Thread[2];
      for (int t = 0; t < 2; ++t) {
        final int first = t;
        threads[t] = new Thread(() -> {
          try (Session own = model.session()) {
            for (int i = first; i < texts.length; i += 2) parallel[i] = own.classify(texts[i]).probabilities;
          }
        });
        threads[t].start();
      }
      for (Thread t : threads) t.join();
      for (int i = 0; i < texts.length; ++i) check(Arrays.equals(serial[i], parallel[i]), "thread result " + i);
      expectThrows(EdgebertException.class, "EB_ERROR_UNSUPPORTED", () -> session.answer("who", "nobody", 1));
      expectThrows(IllegalArgumentException.class, "longer than", () -> new Session(model, 100000, 1, 1));
      expectThrows(IndexOutOfBoundsException.class, "token id", () -> model.token(1 << 30));
      check(session.embed("hello").length == model.hidden(), "embedding width");
    }
    expectThrows(IllegalArgumentException.class, "no-such.ebm", () -> new Model("/nonexistent/no-such.ebm"));
    java.nio.file.Path garbage = Files.createTempFile("garbage", ".ebm");
    Files.write(garbage, new byte[256]);
    expectThrows(EdgebertException.class, "EB_ERROR_INVALID_MODEL", () -> new Model(garbage.toString()));
    Files.delete(garbage);
    try (Model qa = new Model(qaPath); Session s = qa.session()) {
      expectThrows(EdgebertException.class, "EB_ERROR_INVALID_INPUT", () -> s.answer("", "context", 1));
      String context = "Le café 北京 is 😀 open daily";
      for (Session.Answer a : s.answer("what is open?", context, 3)) {
        check(a.text.equals(context.substring(a.start, a.end)), "answer span is a substring");
      }
    }
  }

  // A field of the driver's TSV: hex of its UTF-8.
  static String unhex(String hex) {
    byte[] bytes = new byte[hex.length() / 2];
    for (int i = 0; i < bytes.length; ++i) {
      bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    selfChecks(args[0], args[1]);
    Map<String, Model> models = new HashMap<>();
    String[] names = {"classify", "answer", "tag", "fill_mask", "score"};
    String[] paths = {args[0], args[1], args[2], args[3], args[4]};
    for (int i = 0; i < names.length; ++i) models.put(names[i], new Model(paths[i]));
    Map<String, Session> sessions = new HashMap<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      String[] f = line.split("\t", -1);
      for (int i = 0; i < f.length; ++i) f[i] = unhex(f[i]);
      String task = f[0];
      int maxSeq = Integer.parseInt(f[1]);
      Session s = sessions.computeIfAbsent(task + maxSeq, k -> new Session(models.get(task), maxSeq, 1, 4));
      StringBuilder r = new StringBuilder(task);
      switch (task) {
        case "classify": {
          Session.Classification c = s.classify(f[2]);
          r.append('\t').append(c.label);
          for (float p : c.probabilities) r.append('\t').append(p);
          break;
        }
        case "answer":
          for (Session.Answer a : s.answer(f[2], f[3], Integer.parseInt(f[4]))) {
            r.append('\t').append(a.start).append(' ').append(a.end).append(' ').append(a.score);
          }
          break;
        case "tag":
          for (Session.Entity e : s.tag(f[2], f[3])) {
            r.append('\t').append(e.label).append(' ').append(e.start).append(' ').append(e.end).append(' ').append(e.score);
          }
          break;
        case "fill_mask":
          for (int[] mask : s.fillMask(f[2], Integer.parseInt(f[3]))) {
            r.append('\t');
            for (int j = 0; j < mask.length; ++j) r.append(j > 0 ? " " : "").append(mask[j]);
          }
          break;
        case "score":
          for (float logit : s.score(f[2], List.of(f[3]))) r.append('\t').append(logit);
          break;
        default:
          throw new AssertionError("unknown task " + task);
      }
      out.append(r).append('\n');
    }
    for (Session s : sessions.values()) s.close();
    for (Model m : models.values()) m.close();
    System.out.print(out);
  }
}
