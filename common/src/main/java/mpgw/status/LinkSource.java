package mpgw.status;

import java.util.List;

/** Where a daemon's links and their byte counters come from; called once a second on the status sampler thread. */
@FunctionalInterface
public interface LinkSource {
    List<LinkSample> links();
}
