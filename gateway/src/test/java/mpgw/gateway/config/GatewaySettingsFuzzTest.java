package mpgw.gateway.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import mpgw.config.ConfigError;

/**
 * Fuzz target for the gateway's config loader ({@link GatewaySettings#load}, what {@code bin/mpgw gateway
 * --config F} runs): any text as the config file. The daemon prints a {@link ConfigError}'s message and exits 2;
 * any other exception would be a stack trace to the user, so it fails the target. The message must name the file.
 *
 * <p>Text containing {@code include} is skipped: HOCON's {@code include url(...)} would fetch from the network.
 * Regression inputs (the example config, variations): {@code GatewaySettingsFuzzTestInputs/load/}.
 */
class GatewaySettingsFuzzTest {
    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("mpgw-fuzz-gateway", ".conf");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest
    void load(byte[] input) throws IOException {
        String text = new String(input, StandardCharsets.UTF_8);
        if (text.toLowerCase(Locale.ROOT).contains("include")) {
            return;
        }
        Files.writeString(FILE, text, StandardCharsets.UTF_8);
        try {
            GatewaySettings.load(FILE);
        } catch (ConfigError e) {
            String message = e.getMessage();
            assertTrue(message.startsWith(FILE.toString()), "the error names the file: " + message);
            assertFalse(message.isBlank());
        }
    }
}
