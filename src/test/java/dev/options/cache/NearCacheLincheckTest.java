package dev.options.cache;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.BooleanGen;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Options;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.config.OptionsConfig;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * The near cache's concurrent contracts, checked for linearizability against {@link Model}, a
 * sequential near cache of two scopes under fills (a load takes its ticket, reads the primary, offers
 * what it read; a commit raises the primary, then its invalidation arrives), invalidations and trust.
 * Per scope the model keeps the newest version heard of, which nothing lowers, and the entry: a fill
 * replaces it only while trusted and when no newer version is heard of or held, an invalidation of a
 * newer version takes it away, a distrust flushes it. An answer is the model's entry or a miss (a
 * fill may be refused while another lands, or when a distrust voided its ticket), never anything
 * else, nothing while untrusted; the version heard of may be ahead of the model (it is raised before
 * the tiers follow), never behind. The first scope is read from the entries tier, the second from
 * the documents tier, since a fill reaches one tier before the other.
 * <p>
 * Model checking explores interleavings of random scenarios and of the races the contracts name (a
 * load against a commit, in each tier, and against a distrust), taking the tickets' reset (a walk of
 * the whole table) and the documents tier (byte-array views it cannot follow) as single steps, and
 * a short loop (over a key's characters) as no spin; stress testing runs them on real threads.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:1")
@Param(name = "version", gen = IntGen.class, conf = "1:4")
public class NearCacheLincheckTest {

    private static final String[] KEYS = { "project_options:1", "organization_options:1" };
    private static final OptionsConfig CONFIG = new SmallRyeConfigBuilder().withMapping(OptionsConfig.class)
            .withSources(new PropertiesConfigSource(Map.of("options.cache.near-ttl", "PT60S"), "test", 100))
            .build().getConfigMapping(OptionsConfig.class);

    private final NearCache cache = new NearCache(CONFIG, new SimpleMeterRegistry(), () -> 0L);
    private final AtomicLongArray primary = new AtomicLongArray(new long[] { 1, 1 });

    /**
     * With a table of versions heard of of 256 slots, in which the two scopes' slots differ: a
     * distrust walks the whole table, which at its real size takes the model checker most of its time.
     */
    public NearCacheLincheckTest() throws ReflectiveOperationException {
        Field heard = NearCache.class.getDeclaredField("heard");
        heard.setAccessible(true);
        heard.set(cache, new NearCache.Heard(256));
        cache.trust(true);
    }

    /** Made anew each time: no record is reachable from the test when Lincheck walks it. */
    private static ScopeKey key(int key) {
        return new ScopeKey(KEYS[key]);
    }

    private static NearCache.Entry entry(long version) {
        return new NearCache.Entry(new StoredScope(version, Map.of("a", IntNode.valueOf((int) version))),
                ("{\"version\":" + version + ",\"options\":{}}").getBytes());
    }

    /** A fill of {@code version} (a write, a read of the shared tier, stale or not), its ticket taken just before. */
    @Operation
    public void offer(@Param(name = "key") int key, @Param(name = "version") int version) {
        cache.offer(key(key), entry(version), cache.ticket(key(key)));
    }

    /** A read of the primary: the version read. */
    @Operation
    public long load(@Param(name = "key") int key) {
        long ticket = cache.ticket(key(key));
        long version = primary.get(key);
        cache.offerRead(key(key), entry(version), ticket);
        return version;
    }

    /** Another instance commits the scope's next version, whose event then arrives: the version committed. */
    @Operation
    public long commit(@Param(name = "key") int key) {
        long version = primary.incrementAndGet(key);
        cache.invalidate(key(key), version);
        return version;
    }

    /** An event, possibly late or repeated. */
    @Operation
    public void invalidate(@Param(name = "key") int key, @Param(name = "version") int version) {
        cache.invalidate(key(key), version);
    }

    @Operation
    public Answer get() {
        return new Answer(cache.get(key(0)).map(NearCache.Entry::version).orElse(-1L), false);
    }

    @Operation
    public Answer document() {
        NearCache.Document document = cache.document(Scope.parse(key(1)));
        return new Answer(document == null ? -1 : document.version(), false);
    }

    @Operation
    public Answer heardOf(@Param(name = "key") int key) {
        return new Answer(cache.heardOf(key(key)), false);
    }

    @Operation
    public void trust(@Param(gen = BooleanGen.class) boolean connected) {
        cache.trust(connected);
    }

    @Test
    void modelChecking() {
        scenarios(new ModelCheckingOptions()).iterations(25).invocationsPerIteration(50).actorsBefore(1)
                .loopIterationsBeforeThreadSwitch(100).loopBound(200)
                .addGuarantee(forClasses(NearCache.Heard.class.getCanonicalName()).methods("forgetTickets").treatAsAtomic())
                .addGuarantee(forClasses(NearDocuments.class.getCanonicalName()).allMethods().treatAsAtomic())
                .check(NearCacheLincheckTest.class);
    }

    @Test
    void stress() {
        scenarios(new StressOptions()).iterations(30).invocationsPerIteration(50).actorsBefore(2)
                .check(NearCacheLincheckTest.class);
    }

    private static <O extends Options<O, ?>> O scenarios(O options) {
        Actor known = actor("invalidate", 0, 1);
        return options.sequentialSpecification(Model.class).actorsPerThread(3).actorsAfter(2)
                .addCustomScenario(scenario(known, List.of(actor("load", 0)), List.of(actor("commit", 0)), actor("get")))
                .addCustomScenario(scenario(actor("invalidate", 1, 1), List.of(actor("load", 1)), List.of(actor("commit", 1)),
                        actor("document")))
                .addCustomScenario(scenario(known, List.of(actor("load", 0), actor("get")),
                        List.of(actor("trust", false), actor("trust", true)), actor("get")));
    }

    private static ExecutionScenario scenario(Actor before, List<Actor> first, List<Actor> second, Actor after) {
        return new ExecutionScenario(List.of(before), List.of(first, second), List.of(after), null);
    }

    private static Actor actor(String operation, Object... arguments) {
        return new Actor(Arrays.stream(NearCacheLincheckTest.class.getMethods()).filter(m -> m.getName().equals(operation))
                .findFirst().orElseThrow(), List.of(arguments));
    }

    /**
     * A version answered, -1 for none. The model's ({@code loose}) bounds the answers it allows: an
     * entry's version or a miss; for the version heard of, that version or a newer one.
     */
    public record Answer(long version, boolean loose, boolean atLeast) {
        Answer(long version, boolean loose) {
            this(version, loose, false);
        }

        private boolean allows(Answer answer) {
            return loose && (atLeast ? answer.version > version : answer.version == -1);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Answer that && (version == that.version || allows(that) || that.allows(this));
        }

        @Override
        public int hashCode() {
            return 0;
        }

        @Override
        public String toString() {
            return !loose ? String.valueOf(version) : atLeast ? "at least " + version : version == -1 ? "-1" : version + " or -1";
        }
    }

    /** The sequential near cache: the contract, one operation at a time. */
    public static final class Model {
        private final long[] heard = new long[2];
        private final long[] entry = { -1, -1 };
        private final long[] primary = { 1, 1 };
        private boolean trusted = true;

        public void offer(int key, int version) {
            if (trusted && version >= heard[key] && version > entry[key]) {
                entry[key] = version;
            }
            invalidate(key, version);
        }

        public long load(int key) {
            offer(key, (int) primary[key]);
            return primary[key];
        }

        public long commit(int key) {
            invalidate(key, (int) ++primary[key]);
            return primary[key];
        }

        public void invalidate(int key, int version) {
            heard[key] = Math.max(heard[key], version);
            if (entry[key] < version) {
                entry[key] = -1;
            }
        }

        public Answer get() {
            return new Answer(trusted ? entry[0] : -1, true);
        }

        public Answer document() {
            return new Answer(trusted ? entry[1] : -1, true);
        }

        public Answer heardOf(int key) {
            return new Answer(heard[key], true, true);
        }

        public void trust(boolean connected) {
            trusted = connected;
            if (!connected) {
                Arrays.fill(entry, -1);
            }
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Model that && Arrays.equals(heard, that.heard) && Arrays.equals(entry, that.entry)
                    && Arrays.equals(primary, that.primary) && trusted == that.trusted;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(heard) * 31 + Arrays.hashCode(entry);
        }
    }
}
