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
 * The Java binding's test (bindings/java/run_test.py drives it): checks loading, options, errors,
 * batches and threads itself, then answers the driver's cases on stdin (fields tab-separated, each
 * hex of its UTF-8: model, maxSeq, operation, arguments) with one result line each (the operation,
 * then tab-separated results), which the driver compares with transformers' and the C API's.
 *
 * usage: BindingTest NAME=MODEL.ebm ... < cases
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

  static void classifierChecks(String path) throws Exception {
    try (Model model = new Model(path); Session session = model.session()) {
      check(model.task().equals("classification") && model.problemType().equals("single_label"),
          "task " + model.task() + " " + model.problemType());
      check(model.labels().equals(Arrays.asList("negative", "neutral", "positive")), "labels " + model.labels());
      check(model.numLabels() == 3 && model.hasTokenizer() && model.hasPooler(), "info " + model);
      check(model.hidden() == model.numHeads() * model.headDim(), "hidden = heads x head_dim");
      check(model.size() == Files.size(Paths.get(path)), "size");
      check(model.producer().startsWith("edgebert-convert"), "producer " + model.producer());
      model.checkWeights();
      check(session.maxSeq() == model.maxSeq() && session.threads() == 1 && session.maxBatch() == 1, "defaults");
      check(session.arenaBytes() > 0, "arena bytes");
      check(session.provider().equals(Model.providerAvailable("xnnpack") ? "xnnpack" : "native"),
          "auto: XNNPACK for fp32 models where built in");
      Session.Classification c = session.classify("you will quickly recognize him");
      check(c.probabilities.length == 3 && c.windows == 1, "3 probabilities, one window");
      check(c.label.equals(model.labels().get(c.index)) && session.label() == c.index, "label name");
      // The same bytes through a direct ByteBuffer: the same numbers.
      byte[] bytes = Files.readAllBytes(Paths.get(path));
      ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 64);
      direct.put(bytes).flip();
      try (Model wrapped = new Model(direct); Session s2 = wrapped.session()) {
        check(Arrays.equals(s2.classify("you will quickly recognize him").probabilities, c.probabilities),
            "ByteBuffer model gives the same probabilities");
      } catch (EdgebertException e) {
        check(e.status().equals("EB_ERROR_MISALIGNED"), "only misalignment may refuse a direct buffer: " + e);
      }
      expectThrows(IllegalArgumentException.class, "direct buffer", () -> new Model(ByteBuffer.wrap(bytes)));
      // The tokens' ids run through run() give what the text call gives.
      Session.Tokens t = session.tokenize("you will quickly recognize him", "a pair");
      check(t.pieces[0].equals("[CLS]") && t.sequence[0] == -1 && t.sequence[1] == 0, "tokens " + t.pieces[0]);
      session.run(t.ids, t.tokenTypeIds, t.attentionMask);
      float[] alone = session.output("probabilities");
      check(Arrays.equals(alone, session.classify("you will quickly recognize him", "a pair").probabilities),
          "run on the tokens = classify");
      check(session.output("token_logits") == null, "a classifier has no token logits");
      expectThrows(IllegalArgumentException.class, "output 'everything': expected last_hidden",
          () -> session.output("everything"));
      expectThrows(IllegalArgumentException.class, "as long as inputIds",
          () -> session.run(new int[] {2, 3}, new int[] {0}, null));
      expectThrows(EdgebertException.class, "EB_ERROR_INVALID_INPUT", () -> session.run(new int[] {1 << 30}));
      check(session.classify("still usable").probabilities.length == 3, "a failed call leaves the session usable");
      // A batch gives each sequence exactly what it gets alone.
      int[][] ids = {{2, 17, 40, 3}, {2, 99, 3}, {2, 5, 64, 127, 8, 3}};
      float[] expected = new float[0];
      for (int[] sequence : ids) {
        session.run(sequence);
        float[] logits = session.output("logits");
        float[] grown = Arrays.copyOf(expected, expected.length + logits.length);
        System.arraycopy(logits, 0, grown, expected.length, logits.length);
        expected = grown;
      }
      try (Session batch = model.session(new Session.Options().maxBatch(4))) {
        batch.runBatch(ids, null, null);
        check(Arrays.equals(batch.output("logits"), expected), "runBatch = run one by one");
        check(batch.output("last_hidden").length == 13 * model.hidden(), "rows back to back");
        expectThrows(IllegalArgumentException.class, "as many sequences",
            () -> batch.runBatch(ids, new int[1][], null));
      }
      expectThrows(EdgebertException.class, "EB_ERROR_INVALID_ARGUMENT", () -> session.runBatch(ids, null, null));
      // Options: a forced kernel set, thread pools, providers.
      try (Session reference = model.session(new Session.Options().kernels("reference").maxSeq(32))) {
        check(reference.maxSeq() == 32, "maxSeq option");
        reference.classify("forced kernels");
      }
      expectThrows(IllegalArgumentException.class, "provider 'gpu': expected auto, native or xnnpack",
          () -> model.session(new Session.Options().provider("gpu")));
      check(Model.providerAvailable("native") && Model.providerAvailable("auto"), "native provider");
      try (Session n = model.session(new Session.Options().provider("native"))) {
        check(n.provider().equals("native") && n.kernels().equals("fp32-reference"), "native provider");
        float[] p = n.classify("you will quickly recognize him").probabilities;
        for (int i = 0; i < p.length; ++i) check(Math.abs(p[i] - c.probabilities[i]) < 1e-5, "native ~ auto");
      }
      try (Session pooled = model.session(new Session.Options().threads(2))) {
        check(Arrays.equals(pooled.classify("you will quickly recognize him").probabilities, c.probabilities),
            "2 threads = 1 thread");
      } catch (EdgebertException e) {
        check(e.status().equals("EB_ERROR_UNSUPPORTED"), "threads > 1 without pthreadpool: " + e);
      }
      // Two threads, a session each: the same results as one by one.
      String[] texts = {"a", "quietly moving", "not good at all", "the best film of the year"};
      float[][] serial = new float[texts.length][];
      for (int i = 0; i < texts.length; ++i) serial[i] = session.classify(texts[i]).probabilities;
      float[][] parallel = new float[texts.length][];
      Thread[] threads = new Thread[2];
      for (int th = 0; th < 2; ++th) {
        final int first = th;
        threads[th] = new Thread(() -> {
          try (Session own = model.session()) {
            for (int i = first; i < texts.length; i += 2) parallel[i] = own.classify(texts[i]).probabilities;
          }
        });
        threads[th].start();
      }
      for (Thread th : threads) th.join();
      for (int i = 0; i < texts.length; ++i) check(Arrays.equals(serial[i], parallel[i]), "thread result " + i);
      expectThrows(EdgebertException.class, "EB_ERROR_UNSUPPORTED", () -> session.answer("who", "nobody", 1));
      expectThrows(IllegalArgumentException.class, "longer than", () -> new Session(model, 100000, 1, 1));
      expectThrows(IndexOutOfBoundsException.class, "token id", () -> model.token(1 << 30));
      check(session.embed("hello").length == model.hidden(), "embedding width");
      // A model closes only after its sessions.
      expectThrows(IllegalStateException.class, "still open", model::close);
      session.close();
      expectThrows(IllegalStateException.class, "session is closed", () -> session.classify("closed"));
    }
    expectThrows(IllegalArgumentException.class, "no-such.ebm", () -> new Model("/nonexistent/no-such.ebm"));
    java.nio.file.Path garbage = Files.createTempFile("garbage", ".ebm");
    Files.write(garbage, new byte[256]);
    expectThrows(EdgebertException.class, "EB_ERROR_INVALID_MODEL", () -> new Model(garbage.toString()));
    Files.delete(garbage);
  }

  static void taskChecks(Map<String, String> paths) throws Exception {
    try (Model qa = new Model(paths.get("qa")); Session s = qa.session()) {
      check(qa.task().equals("question_answering"), "qa task");
      expectThrows(EdgebertException.class, "EB_ERROR_INVALID_INPUT", () -> s.answer("", "context", 1));
      String context = "Le café 北京 is 😀 open daily";
      for (boolean align : new boolean[] {true, false}) {
        for (Session.Answer a : s.answer("what is open?", context,
                 new Session.AnswerOptions().topK(3).alignToWords(align).maxAnswerLen(4))) {
          check(a.text.equals(context.substring(a.start, a.end)), "answer span is a substring");
        }
      }
      Session.Answer[] impossible = s.answer("what?", context, new Session.AnswerOptions().topK(40).handleImpossibleAnswer(true));
      check(Arrays.stream(impossible).anyMatch(a -> a.start == 0 && a.end == 0 && a.text.isEmpty()), "empty answer ranked");
      expectThrows(IllegalArgumentException.class, "topK", () -> s.answer("q", "c", 0));
      Session.Tokens t = s.tokenize("Le café 😀 北京", "naïve");
      for (int i = 0; i < t.ids.length; ++i) {
        String source = t.sequence[i] == 1 ? "naïve" : "Le café 😀 北京";
        if (t.sequence[i] >= 0) check(source.substring(t.starts[i], t.ends[i]).length() > 0, "token offsets");
      }
    }
    try (Model tagger = new Model(paths.get("tagger")); Session s = tagger.session()) {
      String text = "Sir Walter Scott lived in Edinburgh";
      Session.Entity[] kept = s.tag(text, new Session.TagOptions().ignoreLabel(null));
      Session.Entity[] named = s.tag(text, "none");
      check(kept.length == s.tokenize(text).ids.length - 2, "ignoreLabel null: one entity per token");
      check(Arrays.stream(named).noneMatch(e -> e.label.equals("O")), "O left out");
      for (Session.Entity e : kept) check(tagger.labels().get(e.labelIndex).equals(e.label) && e.tokens == 1, "none");
      expectThrows(IllegalArgumentException.class, "aggregation 'best': expected none", () -> s.tag(text, "best"));
    }
    try (Model mlm = new Model(paths.get("mlm")); Session s = mlm.session()) {
      Session.TokenScore[][] masks = s.fillMask("the [MASK] is [MASK] .", 3);
      check(masks.length == 2 && masks[0].length == 3 && masks[0][0].probability >= masks[0][1].probability, "masks");
      check(masks[0][0].tokenStr.equals(mlm.token(masks[0][0].token)) && masks[1][0].position == 4, "mask position");
      expectThrows(IllegalArgumentException.class, "topK must be in", () -> s.fillMask("[MASK]", mlm.vocabSize() + 1));
      expectThrows(EdgebertException.class, "EB_ERROR_INVALID_INPUT", () -> s.fillMask("no mask here", 1));
    }
    try (Model reranker = new Model(paths.get("reranker"));
         Session s = reranker.session(new Session.Options().maxBatch(4))) {
      List<String> passages = Arrays.asList("one", "two passages", "three", "four", "and a fifth");
      float[] together = s.score("query", passages);
      for (int i = 0; i < passages.size(); ++i) {
        check(together[i] == s.score("query", passages.subList(i, i + 1))[0], "scores batched = one by one");
      }
    }
  }

  // A field of the driver's cases: hex of its UTF-8.
  static String unhex(String hex) {
    byte[] bytes = new byte[hex.length() / 2];
    for (int i = 0; i < bytes.length; ++i) {
      bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static int[] ints(String field) {
    return field.isEmpty() ? null : Arrays.stream(field.split(" ")).mapToInt(Integer::parseInt).toArray();
  }

  static String floats(float[] values) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < values.length; ++i) b.append(i > 0 ? " " : "").append(values[i]);
    return b.toString();
  }

  static String classification(Session.Classification c) {
    return c.label + "\t" + c.index + "\t" + c.windows + "\t" + floats(c.probabilities);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> paths = new HashMap<>();
    for (String arg : args) paths.put(arg.substring(0, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
    classifierChecks(paths.get("classifier"));
    taskChecks(paths);
    Map<String, Model> models = new HashMap<>();
    Map<String, Session> sessions = new HashMap<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      String[] f = line.split("\t", -1);
      for (int i = 0; i < f.length; ++i) f[i] = unhex(f[i]);
      Model model = models.computeIfAbsent(f[0], name -> new Model(paths.get(name)));
      Session s = sessions.computeIfAbsent(f[0] + "@" + f[1],
          k -> model.session(new Session.Options().maxSeq(Integer.parseInt(f[1])).maxBatch(4)));
      String operation = f[2];
      StringBuilder r = new StringBuilder(operation);
      switch (operation) {
        case "run": // ids, type ids, mask, outputs -> each output, then the label
          s.run(ints(f[3]), ints(f[4]), ints(f[5]));
          for (String name : f[6].split(",")) r.append('\t').append(floats(s.output(name)));
          r.append('\t').append(s.label());
          break;
        case "tokenize":
          r.append('\t').append(Arrays.stream(s.tokenize(f[3]).ids).mapToObj(Integer::toString)
              .reduce((a, b) -> a + " " + b).orElse(""));
          break;
        case "classify":
          r.append('\t').append(classification(s.classify(f[3])));
          break;
        case "classify_pair":
          r.append('\t').append(classification(s.classify(f[3], f[4])));
          break;
        case "classify_long":
          r.append('\t').append(classification(s.classifyLong(f[3], Integer.parseInt(f[4]))));
          break;
        case "embed":
          r.append('\t').append(floats(s.embed(f[3])));
          break;
        case "embed_long":
          r.append('\t').append(floats(s.embedLong(f[3], Integer.parseInt(f[4]))));
          break;
        case "answer": { // question, context, topK, maxAnswerLen, docStride (-1: auto), impossible
          Session.AnswerOptions o = new Session.AnswerOptions().topK(Integer.parseInt(f[5]))
              .maxAnswerLen(Integer.parseInt(f[6])).handleImpossibleAnswer(f[8].equals("1"));
          if (Integer.parseInt(f[7]) >= 0) o.docStride(Integer.parseInt(f[7]));
          for (Session.Answer a : s.answer(f[3], f[4], o)) {
            r.append('\t').append(a.start).append(' ').append(a.end).append(' ').append(a.byteStart)
                .append(' ').append(a.byteEnd).append(' ').append(a.score);
            check(a.text.equals(f[4].substring(a.start, a.end)), "answer text");
          }
          break;
        }
        case "tag":
          for (Session.Entity e : s.tag(f[3], f[4])) {
            r.append('\t').append(e.label).append(' ').append(e.start).append(' ').append(e.end)
                .append(' ').append(e.score).append(' ').append(e.firstToken);
            check(e.word.equals(f[3].substring(e.start, e.end)), "entity word");
          }
          break;
        case "fill_mask":
          for (Session.TokenScore[] mask : s.fillMask(f[3], Integer.parseInt(f[4]))) {
            r.append('\t');
            for (int j = 0; j < mask.length; ++j) {
              r.append(j > 0 ? " " : "").append(mask[j].token).append(':').append(mask[j].probability);
            }
          }
          break;
        case "score":
          r.append('\t').append(s.score(f[3], List.of(f[4]))[0]);
          r.append('\t').append(s.score(f[3], List.of(f[4]), true)[0]);
          break;
        default:
          throw new AssertionError("unknown operation " + operation);
      }
      out.append(r).append('\n');
    }
    for (Session s : sessions.values()) s.close();
    for (Model m : models.values()) m.close();
    System.out.print(out);
  }
}
