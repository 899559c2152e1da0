package mpgw.paths;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of {@code ip -o link show} or {@code ip -o monitor link}, reduced to what the path watcher needs:
 * the interface and whether it carries traffic (administratively up and with carrier, {@code UP} and
 * {@code LOWER_UP}).
 */
record LinkEvent(String iface, boolean up) {
    // "3: wan2@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ..." (the "@peer" part is the veth's peer index)
    private static final Pattern LINE = Pattern.compile("^(?:Deleted\\s+)?\\d+:\\s+([^:@\\s]+)(?:@\\S+)?:\\s+<([^>]*)>");

    /** The event of a line, or null for lines that are not about a link's state. */
    static LinkEvent parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
            return null;
        }
        boolean deleted = line.startsWith("Deleted");
        String flags = "," + m.group(2) + ",";
        return new LinkEvent(m.group(1), !deleted && flags.contains(",UP,") && flags.contains(",LOWER_UP,"));
    }
}
