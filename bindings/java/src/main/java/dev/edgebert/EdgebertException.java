package dev.edgebert;

/** An edgebert runtime error: {@link #status()} is the eb_status name, e.g. "EB_ERROR_INVALID_INPUT". */
public final class EdgebertException extends RuntimeException {
  private final String status;

  EdgebertException(String status, String message) {
    super(status + ": " + message);
    this.status = status;
  }

  public String status() {
    return status;
  }
}
