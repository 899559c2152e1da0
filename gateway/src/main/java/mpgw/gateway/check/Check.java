package mpgw.gateway.check;

/**
 * The outcome of one diagnosis of {@code mpgw check}: one output line, {@code OK   name: detail} or
 * {@code FAIL name: detail; fix: what to do}.
 */
public record Check(String name, boolean ok, String detail, String fix) {

    static Check ok(String name, String detail) {
        return new Check(name, true, detail, null);
    }

    static Check fail(String name, String detail, String fix) {
        return new Check(name, false, detail, fix);
    }

    public String line() {
        return ok ? "OK   " + name + ": " + detail : "FAIL " + name + ": " + detail + "; fix: " + fix;
    }
}
