package mpgw.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TlsProviderTest {
    @Test
    void parsesTheConfigSpellings() {
        assertEquals(TlsProvider.JDK, TlsProvider.parse("jdk"));
        assertEquals(TlsProvider.OPENSSL, TlsProvider.parse(" OpenSSL "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TlsProvider.parse("boring"));
        assertTrue(e.getMessage().contains("use jdk or openssl"), e.getMessage());
    }

    @Test
    void boringSslIsPreferredWhereItLoads() {
        assertEquals(TlsProvider.OPENSSL, TlsProvider.preferred());
    }
}
