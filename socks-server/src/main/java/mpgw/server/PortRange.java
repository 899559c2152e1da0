package mpgw.server;

/** A port or an inclusive range of ports, written {@code 25} or {@code 6000-6063}. Immutable. */
public record PortRange(int first, int last) {
    public static PortRange parse(String s) {
        String t = s.trim();
        int dash = t.indexOf('-');
        try {
            int first = Integer.parseInt(dash < 0 ? t : t.substring(0, dash).trim());
            int last = dash < 0 ? first : Integer.parseInt(t.substring(dash + 1).trim());
            if (first < 1 || last > 65535 || first > last) {
                throw new IllegalArgumentException("ports must be 1-65535, low-high");
            }
            return new PortRange(first, last);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port or port range (e.g. 25 or 6000-6063)");
        }
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }
}
