package mpgw.it.harness;

import com.github.dockerjava.api.exception.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.ImagePullPolicy;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

/**
 * The image every test container runs: {@code docker/Dockerfile}, the daemons' own Dockerfile, built from the
 * distribution {@code mvn package} made ({@code packaging/target/dist/mpgw-VERSION/}) on top of the local base image
 * ({@code mpgw-base}, built by {@code docker/base-image.sh}, never pulled). So the tests run exactly what a
 * router would install: {@code /opt/mpgw/bin/mpgw}, {@code lib/}, {@code iptables/}, {@code conf/}.
 *
 * <p>Built once per JVM, on first use; thread-safe. The image is removed when the JVM exits.
 */
public final class ProjectImage {

    /** Where the distribution lives in the container (the image's working directory). */
    public static final String HOME = "/opt/mpgw";

    /** Never pull: there is no registry, and a pull attempt fails the CI run (.ci/docker-down.sh). */
    public static final ImagePullPolicy NEVER_PULL = new ImagePullPolicy() {
        @Override
        public boolean shouldPull(DockerImageName imageName) {
            return false;
        }
    };

    private static ProjectImage instance;

    private final String baseImage;
    private final ImageFromDockerfile image;

    private ProjectImage(String baseImage, Path dist, Path dockerfile) {
        this.baseImage = baseImage;
        this.image = new ImageFromDockerfile("mpgw-it", true)
                .withFileFromPath(".", dist)
                .withFileFromPath("Dockerfile", dockerfile)
                .withBuildArg("BASE", baseImage)
                // Docker's builder would pull a missing FROM image; existingBaseImage() made sure it is there.
                .withBuildImageCmdModifier(cmd -> cmd.withPull(false));
    }

    /**
     * The shared instance; checks that the distribution and the base image exist first (the build must not
     * pull the base image).
     *
     * @throws IllegalStateException when either is missing, with the command that makes it
     */
    public static synchronized ProjectImage get() {
        if (instance == null) {
            Path dist = Path.of(property("mpgw.dist.dir")).toAbsolutePath().normalize();
            if (!Files.isRegularFile(dist.resolve("bin/mpgw")) || !Files.isDirectory(dist.resolve("lib"))) {
                throw new IllegalStateException("no distribution at " + dist + ": run 'mvn package' (the packaging "
                        + "module makes it) before the container tests");
            }
            Path dockerfile = Path.of(property("mpgw.source.root")).resolve("docker/Dockerfile");
            instance = new ProjectImage(existingBaseImage(), dist, dockerfile);
        }
        return instance;
    }

    /** The image to hand to a container; resolved (built) by Testcontainers on first start. */
    public ImageFromDockerfile image() {
        return image;
    }

    /** The base image this image was built from, e.g. {@code mpgw-base:01893ebd90c4}. */
    public String baseImage() {
        return baseImage;
    }

    /** The base image named by {@code MPGW_BASE_IMAGE} (docker-up.sh writes it), else {@code mpgw-base:latest}. */
    static String baseImageName() {
        String name = System.getenv("MPGW_BASE_IMAGE");
        return name == null || name.isBlank() ? "mpgw-base:latest" : name;
    }

    private static String existingBaseImage() {
        String name = baseImageName();
        try {
            DockerClientFactory.instance().client().inspectImageCmd(name).exec();
            return name;
        } catch (NotFoundException e) {
            throw new IllegalStateException("base image " + name + " does not exist on the engine and is never "
                    + "pulled: build it with docker/base-image.sh (or see docs/testing.md)", e);
        }
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name + " is not set (integration-tests/pom.xml sets it)");
        }
        return value;
    }
}
