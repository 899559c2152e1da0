package mpgw.it.harness;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs a container engine. Without one the class is skipped with a message saying
 * how to get one — unless runs are {@linkplain ContainerEngineCondition#required() required} (CI), where a
 * missing engine fails the class instead, so a broken engine can never pass as "all tests skipped".
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(ContainerEngineCondition.class)
public @interface RequiresContainerEngine {
}
