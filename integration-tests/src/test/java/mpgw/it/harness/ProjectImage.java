package mpgw.it.harness;

import com.github.dockerjava.api.exception.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.ImagePullPolicy;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

/**
 * The image every test container runs: the local base image ({@code mpgw-base}, built by
 * {@code docker/base-image.sh}, never pulled) plus the project's runtime tree under {@code /opt/mpgw}, laid
 * out like the source tree so {@code bin/mpgw server|gateway} works unchanged inside.
 *
 * <p>The tree holds whatever the reactor has built when the tests run: {@code bin/}, {@code iptables/},
 * {@code conf/}, and {@code <module>/target/classes} and {@code target/lib} of socks-server and gateway
 * (integration-tests comes after both in the reactor, so {@code mvn verify} has packaged them). Missing
 * parts are left out; {@link #has(String)} tells a test what is present.
 *
 * <p>Built once per JVM, on first use; thread-safe. The image is removed when the JVM exits.
 */
public final class ProjectImage {

    /** Where the source tree is copied in the container. */
    public static final String HOME = "/opt/mpgw";

    /** Parts of the source tree copied into the image when present (relative to the repository root). */
    static final List<String> TREE = List.of(
            "bin", "iptables", "conf",
            "socks-server/target/classes", "socks-server/target/lib",
            "gateway/target/classes", "gateway/target/lib");

    /** Never pull: there is no registry, and a pull attempt fails the CI run (.ci/docker-down.sh). */
    public static final ImagePullPolicy NEVER_PULL = new ImagePullPolicy() {
        @Override
        public boolean shouldPull(DockerImageName imageName) {
            return false;
        }
    };

    private static ProjectImage instance;

    private final String baseImage;
    private final List<String> present;
    private final ImageFromDockerfile image;

    private ProjectImage(String baseImage, Path sourceRoot) {
        this.baseImage = baseImage;
        this.present = new ArrayList<>();
        StringBuilder dockerfile = new StringBuilder("FROM ").append(baseImage).append('\n');
        ImageFromDockerfile built = new ImageFromDockerfile("mpgw-it", true)
                // Docker's builder would pull a missing FROM image; baseImage() made sure it is there.
                .withBuildImageCmdModifier(cmd -> cmd.withPull(false));
        for (String part : TREE) {
            Path path = sourceRoot.resolve(part);
            if (Files.isDirectory(path)) {
                present.add(part);
                built.withFileFromPath("tree/" + part, path);
            }
        }
        if (!present.isEmpty()) {
            dockerfile.append("COPY tree/ ").append(HOME).append("/\n");
        }
        dockerfile.append("ENV PATH=").append(HOME).append("/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
                .append("WORKDIR ").append(HOME).append('\n')
                .append("CMD [\"sleep\", \"infinity\"]\n");
        this.image = built.withFileFromString("Dockerfile", dockerfile.toString());
    }

    /**
     * The shared instance; checks that the base image exists first, since the build must not pull it.
     *
     * @throws IllegalStateException when the base image is missing (with the command that builds it)
     */
    public static synchronized ProjectImage get() {
        if (instance == null) {
            instance = new ProjectImage(existingBaseImage(), sourceRoot());
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

    /** True when {@code part} (one of the tree parts, e.g. {@code "gateway/target/lib"}) is in the image. */
    public boolean has(String part) {
        return present.contains(part);
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

    private static Path sourceRoot() {
        String root = System.getProperty("mpgw.source.root");
        return (root == null ? Path.of("..") : Path.of(root)).toAbsolutePath().normalize();
    }
}
