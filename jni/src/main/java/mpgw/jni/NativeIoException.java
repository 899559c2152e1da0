package mpgw.jni;

import java.io.IOException;

/** A failed system call: names the operation and the errno, e.g. {@code setsockopt(SO_MARK): EPERM (Operation not permitted)}. */
public final class NativeIoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String operation;
    private final int errno;

    NativeIoException(String operation, int errno) {
        super(operation + ": " + Native.errnoName(errno));
        this.operation = operation;
        this.errno = errno;
    }

    /** Returns {@code result} when it is not negative, else throws for {@code -result}. */
    static int check(String operation, int result) throws NativeIoException {
        if (result < 0) {
            throw new NativeIoException(operation, -result);
        }
        return result;
    }

    public String operation() {
        return operation;
    }

    /** The positive errno value, e.g. 1 for EPERM. */
    public int errno() {
        return errno;
    }
}
