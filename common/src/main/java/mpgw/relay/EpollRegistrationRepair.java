package mpgw.relay;

import io.netty.channel.Channel;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import java.lang.reflect.Field;

/**
 * Works around a Netty 4.2.18 epoll bug that breaks half-closed relays. When a channel's epoll interest set
 * becomes empty (after the peer's FIN Netty clears EPOLLIN and EPOLLRDHUP; with nothing waiting to be written,
 * nothing is left), Netty removes the fd from epoll (EPOLL_CTL_DEL) but keeps its registration marked as added.
 * The next interest (EPOLLOUT for a write the socket cannot take at once, or EPOLLIN) then becomes an
 * EPOLL_CTL_MOD that fails with ENOENT, and Netty closes the channel: the rest of the other direction is lost
 * and the peer sees a RST.
 *
 * <p>{@link #install} wraps the channel's registration so that the first submit after such a removal first
 * marks the registration pending again, which makes Netty add the fd back (EPOLL_CTL_ADD). It reaches Netty's
 * internals by reflection (the class path is the unnamed module); where they differ (another Netty version,
 * another transport) it does nothing. Event-loop only, like the registration it wraps.
 */
final class EpollRegistrationRepair {
    private static final Field REGISTRATION;
    private static final Field OPS;
    private static final Field STATE;
    private static final Field OPS_VALUE;
    private static final Class<?> EPOLL_CHANNEL;
    private static final Class<?> DEFAULT_REGISTRATION;
    private static final Object ADDED;
    private static final Object PENDING;
    private static final int NONE;

    static {
        Field registration = null;
        Field ops = null;
        Field state = null;
        Field opsValue = null;
        Class<?> channel = null;
        Class<?> defaultRegistration = null;
        Object added = null;
        Object pending = null;
        int none = 0;
        try {
            channel = Class.forName("io.netty.channel.epoll.AbstractEpollChannel");
            registration = accessible(channel.getDeclaredField("registration"));
            ops = accessible(channel.getDeclaredField("ops"));
            defaultRegistration = Class.forName("io.netty.channel.epoll.EpollIoHandler$DefaultEpollIoRegistration");
            state = accessible(defaultRegistration.getDeclaredField("state"));
            Class<?> opsClass = Class.forName("io.netty.channel.epoll.EpollIoOps");
            opsValue = accessible(opsClass.getDeclaredField("value"));
            none = opsValue.getInt(accessible(opsClass.getDeclaredField("NONE")).get(null));
            added = enumConstant(state.getType(), "Added");
            pending = enumConstant(state.getType(), "Pending");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            registration = null; // another Netty: nothing to repair, or nothing we know how to
        }
        REGISTRATION = registration;
        OPS = ops;
        STATE = state;
        OPS_VALUE = opsValue;
        EPOLL_CHANNEL = channel;
        DEFAULT_REGISTRATION = defaultRegistration;
        ADDED = added;
        PENDING = pending;
        NONE = none;
    }

    private EpollRegistrationRepair() {
    }

    /** True when this Netty has the internals the repair needs. */
    static boolean available() {
        return REGISTRATION != null;
    }

    /** Wraps {@code ch}'s epoll registration (once); call on its event loop after it is registered. */
    static void install(Channel ch) {
        if (!available() || !EPOLL_CHANNEL.isInstance(ch)) {
            return;
        }
        try {
            Object current = REGISTRATION.get(ch);
            if (!(current instanceof IoRegistration) || current instanceof Repairing) {
                return; // not registered yet, or already wrapped
            }
            Object epoll = epollRegistration(current);
            if (epoll == null) {
                return;
            }
            Repairing wrapper = new Repairing((IoRegistration) current, epoll);
            // The removal may have happened already (the client's FIN during the handshake).
            wrapper.removed = OPS_VALUE.getInt(OPS.get(ch)) == NONE && STATE.get(epoll) == ADDED;
            REGISTRATION.set(ch, wrapper);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Leave Netty's registration alone; the bug may still bite, but nothing else changes.
        }
    }

    /** Netty's epoll registration inside the event loop's wrapper around it, or null. */
    private static Object epollRegistration(Object registration) throws IllegalAccessException {
        if (DEFAULT_REGISTRATION.isInstance(registration)) {
            return registration;
        }
        for (Field f : registration.getClass().getDeclaredFields()) {
            if (IoRegistration.class.isAssignableFrom(f.getType())) {
                Object inner = accessible(f).get(registration);
                return DEFAULT_REGISTRATION.isInstance(inner) ? inner : null;
            }
        }
        return null;
    }

    private static Field accessible(Field f) {
        f.setAccessible(true);
        return f;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumConstant(Class<?> type, String name) {
        return Enum.valueOf((Class<? extends Enum>) type, name);
    }

    /** Netty's registration, re-added to epoll after Netty removed it for an empty interest set. */
    private static final class Repairing implements IoRegistration {
        private final IoRegistration delegate;
        private final Object epoll;
        private boolean removed;

        Repairing(IoRegistration delegate, Object epoll) {
            this.delegate = delegate;
            this.epoll = epoll;
        }

        @Override
        public long submit(IoOps ops) {
            try {
                if (OPS_VALUE.getInt(ops) == NONE) {
                    boolean wasAdded = STATE.get(epoll) == ADDED;
                    long result = delegate.submit(ops);
                    removed |= wasAdded;
                    return result;
                }
                if (removed) {
                    STATE.set(epoll, PENDING); // Netty's next submit adds the fd instead of modifying it
                    removed = false;
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e); // cannot happen: the fields were made accessible
            }
            return delegate.submit(ops);
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            if (removed) {
                try {
                    STATE.set(epoll, PENDING); // nothing to delete from epoll
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
            return delegate.cancel();
        }
    }
}
