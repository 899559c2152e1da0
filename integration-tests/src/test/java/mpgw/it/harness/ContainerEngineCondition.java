package mpgw.it.harness;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Enables container tests when a container engine answers; otherwise skips them, or fails them when the run is
 * required to have an engine ({@code -Dmpgw.it.required=true} or {@code MPGW_IT_REQUIRED=true}, which
 * {@code .ci/docker-up.sh} writes into the environment it prints).
 *
 * <p>The engine is whatever Testcontainers finds: {@code DOCKER_HOST}, then the usual local socket. A skipped
 * class prints {@code SKIPPED <class>: no container engine (...)} on the build's console ({@link SkipNotice}).
 */
public final class ContainerEngineCondition implements ExecutionCondition {

    static final String REQUIRED_PROPERTY = "mpgw.it.required";
    static final String REQUIRED_ENV = "MPGW_IT_REQUIRED";

    /** True when a missing container engine must fail the run rather than skip it. */
    public static boolean required() {
        return Boolean.getBoolean(REQUIRED_PROPERTY) || "true".equalsIgnoreCase(System.getenv(REQUIRED_ENV));
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (DockerClientFactory.instance().isDockerAvailable()) {
            return ConditionEvaluationResult.enabled("container engine at " + engineDescription());
        }
        String why = "no container engine (" + engineDescription() + "): start one with .ci/docker-up.sh "
                + "and source the env it prints, or run a local Docker (see docs/testing.md)";
        if (required()) {
            throw new IllegalStateException(REQUIRED_PROPERTY + "/" + REQUIRED_ENV + " is set, so the container "
                    + "tests must run, but " + why);
        }
        // Evaluated for the class first; a disabled class never gets to its methods. Loud, one line per class.
        return ConditionEvaluationResult.disabled(SkipNotice.announce(context.getRequiredTestClass(), why));
    }

    private static String engineDescription() {
        String host = System.getenv("DOCKER_HOST");
        return host == null ? "DOCKER_HOST unset" : "DOCKER_HOST=" + host;
    }
}
