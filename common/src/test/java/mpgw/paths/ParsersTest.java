package mpgw.paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The iproute2 output the path watcher reads, as iproute2 6.1 prints it. */
class ParsersTest {
    @Test
    void linkLinesGiveTheInterfaceAndWhetherItCarriesTraffic() {
        assertEquals(new LinkEvent("wan2", true), LinkEvent.parse(
                "3: wan2@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc tbf state UP mode DEFAULT"));
        assertEquals(new LinkEvent("wan2", false), LinkEvent.parse(
                "3: wan2@if7: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc tbf state DOWN"));
        assertEquals(new LinkEvent("eth0", false), LinkEvent.parse(
                "2: eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN"));
        assertEquals(new LinkEvent("wan3", false), LinkEvent.parse(
                "Deleted 5: wan3@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500"));
        assertNull(LinkEvent.parse("    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff"));
    }

    @Test
    void endpointsParseAndRecreateWithTheirIdFlagsAndDevice() {
        List<MptcpEndpoint> e = MptcpEndpoint.parse("""
                10.2.2.1 id 200 subflow dev wan2\s
                10.3.3.1 id 201 subflow backup fullmesh dev wan3\s
                10.9.9.9 port 8000 id 5 signal\s
                10.1.1.1 id 1 rawflags 10\s
                """);
        assertEquals(4, e.size());
        assertEquals(List.of("mptcp", "endpoint", "add", "10.2.2.1", "id", "200", "subflow", "dev", "wan2"),
                e.get(0).addArguments());
        assertEquals(List.of("subflow", "backup", "fullmesh"), e.get(1).flags());
        assertTrue(e.get(2).active());
        assertFalse(e.get(3).active(), "an implicit endpoint is not re-announced");
    }
}
