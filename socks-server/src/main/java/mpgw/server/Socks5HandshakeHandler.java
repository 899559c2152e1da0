package mpgw.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import mpgw.connection.ConnectionRecord;
import mpgw.connection.Outcome;
import mpgw.socks.Socks5Addresses;

/**
 * The server side of the SOCKS5 handshake: method selection (RFC 1928 §3), username/password
 * (RFC 1929), and the request (RFC 1928 §4), which it hands to the handler for its command.
 *
 * <p>Each phase swaps the decoder in {@link ServerPipeline#SOCKS_DECODER} synchronously, so bytes a client
 * pipelined behind a message reach the next decoder (Netty forwards a replaced decoder's leftovers).
 * Once a request is decoded, reading stops ({@code AUTO_READ} off) until the command handler is ready,
 * and bytes that were already read follow the request to that handler.
 *
 * <p>Failures: an unusable greeting gets {@code 05 FF} (no acceptable method), a failed login
 * {@code 01 01}; both close. An unusable request gets its REP and closes. One instance per channel.
 */
final class Socks5HandshakeHandler extends SimpleChannelInboundHandler<Object> {
    /** RFC 1929 allows any non-zero STATUS; {@code 01} is what clients and other servers use (Netty's is FF). */
    private static final Socks5PasswordAuthStatus LOGIN_FAILED = new Socks5PasswordAuthStatus(0x01, "FAILURE");

    private final ServerContext context;
    /** On a TLS listener: UDP ASSOCIATE only with {@code tls.allow-associate}. */
    private final boolean overTls;
    private final long acceptedNanos = System.nanoTime();

    Socks5HandshakeHandler(ServerContext context, boolean overTls) {
        this.context = context;
        this.overTls = overTls;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Socks5InitialRequest) {
            greeting(ctx, (Socks5InitialRequest) msg);
        } else if (msg instanceof Socks5PasswordAuthRequest) {
            login(ctx, (Socks5PasswordAuthRequest) msg);
        } else if (msg instanceof SocksRequest) {
            request(ctx, (SocksRequest) msg);
        }
        // Anything else (bytes after a failed message) is released by SimpleChannelInboundHandler.
    }

    private void greeting(ChannelHandlerContext ctx, Socks5InitialRequest greeting) {
        Socks5AuthMethod wanted = context.settings().passwordAuth() ? Socks5AuthMethod.PASSWORD
                : Socks5AuthMethod.NO_AUTH;
        if (greeting.decoderResult().isFailure() || !greeting.authMethods().contains(wanted)) {
            record(ctx).outcome(Outcome.HANDSHAKE_FAILED, greeting.decoderResult().isFailure()
                    ? "bad greeting: " + greeting.decoderResult().cause().getMessage() : "no acceptable method");
            ctx.pipeline().replace(ServerPipeline.SOCKS_DECODER, ServerPipeline.SOCKS_DECODER, new DiscardDecoder());
            ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.pipeline().replace(ServerPipeline.SOCKS_DECODER, ServerPipeline.SOCKS_DECODER,
                wanted == Socks5AuthMethod.PASSWORD ? new Socks5PasswordAuthRequestDecoder()
                        : new CommandRequestDecoder());
        ctx.writeAndFlush(new DefaultSocks5InitialResponse(wanted));
    }

    private void login(ChannelHandlerContext ctx, Socks5PasswordAuthRequest login) {
        boolean ok = login.decoderResult().isSuccess() && passwordMatches(login.username(), login.password());
        if (!ok) {
            record(ctx).outcome(Outcome.HANDSHAKE_FAILED, login.decoderResult().isSuccess()
                    ? "authentication failed for user '" + login.username() + "'"
                    : "bad login: " + login.decoderResult().cause().getMessage());
            ctx.pipeline().replace(ServerPipeline.SOCKS_DECODER, ServerPipeline.SOCKS_DECODER, new DiscardDecoder());
            ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(LOGIN_FAILED))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.pipeline().replace(ServerPipeline.SOCKS_DECODER, ServerPipeline.SOCKS_DECODER,
                new CommandRequestDecoder());
        ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.SUCCESS));
    }

    private boolean passwordMatches(String user, String password) {
        String expected = context.settings().users().get(user);
        // Compare even for unknown users so timing does not reveal which names exist.
        byte[] want = (expected == null ? "\0unknown-user" : expected).getBytes(StandardCharsets.US_ASCII);
        boolean same = MessageDigest.isEqual(want, password.getBytes(StandardCharsets.US_ASCII));
        return expected != null && same;
    }

    private void request(ChannelHandlerContext ctx, SocksRequest request) {
        ctx.channel().config().setAutoRead(false);
        ctx.pipeline().remove(ServerPipeline.HANDSHAKE_TIMEOUT);
        ConnectionRecord record = record(ctx);
        record.command(request.commandName());
        record.destination(request.destination());
        if (request.error() != null) {
            reject(ctx, request.error(), request.detail());
            return;
        }
        context.events().handshakeCompleted(System.nanoTime() - acceptedNanos);
        InetSocketAddress dest = request.destination();
        if (dest.isUnresolved() && !Socks5Addresses.isValidDomain(dest.getHostString())) {
            reject(ctx, Socks5CommandStatus.HOST_UNREACHABLE, "invalid domain name");
            return;
        }
        ChannelHandler next;
        switch (request.command()) {
            case SocksRequest.CONNECT:
                next = new ConnectHandler(context, dest);
                break;
            case SocksRequest.BIND:
                next = new BindHandler(context, dest);
                break;
            case SocksRequest.UDP_ASSOCIATE:
                if (overTls && !context.settings().tls().allowAssociate()) {
                    // Its datagrams would travel outside the TLS stream, in clear: the FWD UDP stream carrier
                    // is the way to carry UDP over TLS.
                    context.events().dropped(Drop.ASSOCIATE_ON_TLS);
                    reject(ctx, Socks5CommandStatus.COMMAND_UNSUPPORTED,
                            "UDP ASSOCIATE on a TLS listener (server.tls.allow-associate = off)");
                    return;
                }
                next = new UdpAssociateHandler(context, dest);
                break;
            case SocksRequest.FWD_UDP:
                next = new FwdUdpHandler(context);
                break;
            default:
                reject(ctx, Socks5CommandStatus.COMMAND_UNSUPPORTED, null);
                return;
        }
        // Replacing this handler in place: bytes the decoder passes on after the request reach `next`.
        ctx.pipeline().replace(this, ServerPipeline.COMMAND, next);
    }

    private void reject(ChannelHandlerContext ctx, Socks5CommandStatus status, String detail) {
        record(ctx).refused(ConnectionRecord.replyName(status), detail);
        context.events().replied(status);
        ctx.pipeline().replace(ServerPipeline.SOCKS_DECODER, ServerPipeline.SOCKS_DECODER, new DiscardDecoder());
        ctx.writeAndFlush(Replies.failure(ctx.alloc(), status)).addListener(ChannelFutureListener.CLOSE);
    }

    private static ConnectionRecord record(ChannelHandlerContext ctx) {
        return ConnectionRecord.of(ctx.channel());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // EOF before a complete request (half-closure is allowed for the relay's sake): nothing can follow.
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        CommandHandler.clientFailed(ctx, cause);
    }
}
