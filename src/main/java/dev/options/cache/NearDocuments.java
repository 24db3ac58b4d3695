package dev.options.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The near cache's compact tier: per scope of one identifier (an organization, a project, a user), its
 * version and its serialized document, what a hot read answers, held in a ring of large byte arrays
 * with an index of ints instead of a few objects per scope. A scope of one small option takes about
 * 50 bytes here against about 400 in the cache of objects, and adds nothing for the collector to
 * trace: a million such scopes fit in a small heap, which is what keeps a hot read's cost from
 * growing with the number of scopes read.
 *
 * <p>Records are appended to the current page, {@code [kind][id][version][expires][length][document]};
 * when the last page is full the ring wraps and the oldest page's records are forgotten (first in,
 * first out; a scope read all the time is refilled, at the end of the ring, by its refresh before it
 * expires). A newer record of a scope replaces the index's pointer to the older one, which stays in
 * its page, unreachable, until the ring comes round to it.
 *
 * <p>The index is split into stripes, each a table of record locators (open addressing, linear
 * probing) compared by the key in the record they point to, and guarded by its own lock, held
 * while a record is looked up and copied out: an uncontended lock on two event loops costs tens of
 * nanoseconds. Appends hold one lock for the ring, so a page is never written while a stripe still
 * points into it. Lock order: ring, then stripe.
 *
 * <p>It answers only what it holds: the caller (the near cache) keeps the contracts, trusting it
 * only while the invalidation feed is connected and raising the newest version heard of before it
 * invalidates here.
 */
final class NearDocuments {

    /** Bytes of a record before its document: kind (1), id (8), version (8), expiry (8), length (4). */
    static final int HEADER = 29;
    private static final int VERSION = 9;
    private static final int EXPIRES = 17;
    private static final int LENGTH = 25;
    /** The kind byte's flag of a document stored without its frame. */
    private static final int FRAMED = 0x80;
    private static final byte[] FRAME_START = "{\"version\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FRAME_OPTIONS = ",\"options\":".getBytes(StandardCharsets.US_ASCII);
    /** Bytes of a page at most: a locator holds a page's offset in 20 bits. */
    static final int MAX_PAGE_BYTES = 1 << 20;
    private static final int OFFSET_BITS = 20;
    private static final int STRIPES = 64;
    private static final int INITIAL_SLOTS = 64;

    /** The kinds held, by code: scopes of one identifier. */
    static final int ORGANIZATION = 0;
    static final int PROJECT = 1;
    static final int USER = 2;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** A scope's document as held: its version, its bytes (a copy), and when it expires (ticker nanos). */
    record Held(long version, byte[] document, long expiresAt) {
    }

    /** One stripe of the index: locators ({@code 0} is an empty slot), guarded by the stripe itself. */
    private static final class Stripe {
        int[] slots = new int[INITIAL_SLOTS];
        int size;
    }

    private final int pageBytes;
    /** The ring, pages allocated when first written; guarded by {@link #ring} (readers: see get). */
    private final byte[][] pages;
    private final int[] used;
    private final Object ring = new Object();
    private final Stripe[] stripes = new Stripe[STRIPES];
    private int head = -1;
    private long evicted;

    /**
     * @param maxBytes the ring's bytes at most (whole pages, at least two)
     * @param pageBytes bytes of a page, at most {@link #MAX_PAGE_BYTES}; no record larger than a page is held
     */
    NearDocuments(long maxBytes, int pageBytes) {
        if (pageBytes <= HEADER || pageBytes > MAX_PAGE_BYTES) {
            throw new IllegalArgumentException("a page takes " + (HEADER + 1) + " to " + MAX_PAGE_BYTES + " bytes, not " + pageBytes);
        }
        // a locator is (page << 20 | offset) + 1 in an int
        long count = Math.min(Math.max(2, maxBytes / pageBytes), 2000);
        this.pageBytes = pageBytes;
        this.pages = new byte[(int) count][];
        this.used = new int[(int) count];
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    private static long hash(int kind, long id) {
        // murmur3's finalizer over the id and kind
        long h = id + kind * 0x9E3779B97F4A7C15L;
        h = (h ^ (h >>> 33)) * 0xFF51AFD7ED558CCDL;
        h = (h ^ (h >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return h ^ (h >>> 33);
    }

    private Stripe stripe(long hash) {
        return stripes[(int) hash & (STRIPES - 1)];
    }

    private static int home(long hash, int mask) {
        return (int) (hash >>> 32) & mask;
    }

    private static int locator(int page, int offset) {
        return ((page << OFFSET_BITS) | offset) + 1;
    }

    private static int pageIndex(int locator) {
        return (locator - 1) >>> OFFSET_BITS;
    }

    private byte[] pageOf(int locator) {
        return pages[pageIndex(locator)];
    }

    private static int offsetOf(int locator) {
        return (locator - 1) & ((1 << OFFSET_BITS) - 1);
    }

    private static int kindAt(byte[] page, int offset) {
        return page[offset] & (FRAMED - 1);
    }

    private long hashAt(int locator) {
        byte[] page = pageOf(locator);
        int offset = offsetOf(locator);
        return hash(kindAt(page, offset), (long) LONGS.get(page, offset + 1));
    }

    private long versionAt(int locator) {
        return (long) LONGS.get(pageOf(locator), offsetOf(locator) + VERSION);
    }

    /** The slot of the scope's locator in {@code stripe}, or -1; under the stripe's lock. */
    private int find(Stripe stripe, int kind, long id, long hash) {
        int mask = stripe.slots.length - 1;
        for (int slot = home(hash, mask);; slot = (slot + 1) & mask) {
            int locator = stripe.slots[slot];
            if (locator == 0) {
                return -1;
            }
            byte[] page = pageOf(locator);
            int offset = offsetOf(locator);
            if (kindAt(page, offset) == kind && (long) LONGS.get(page, offset + 1) == id) {
                return slot;
            }
        }
    }

    private void insert(Stripe stripe, int locator, long hash) {
        if ((stripe.size + 1) * 4 > stripe.slots.length * 3) {
            int[] old = stripe.slots;
            stripe.slots = new int[old.length * 2];
            for (int held : old) {
                if (held != 0) {
                    place(stripe.slots, held, hashAt(held));
                }
            }
        }
        place(stripe.slots, locator, hash);
        stripe.size++;
    }

    private static void place(int[] slots, int locator, long hash) {
        int mask = slots.length - 1;
        int slot = home(hash, mask);
        while (slots[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        slots[slot] = locator;
    }

    /** Empties {@code slot}, moving back the locators after it that linear probing placed past it. */
    private void delete(Stripe stripe, int slot) {
        int[] slots = stripe.slots;
        int mask = slots.length - 1;
        int hole = slot;
        for (int next = (hole + 1) & mask; slots[next] != 0; next = (next + 1) & mask) {
            int home = home(hashAt(slots[next]), mask);
            // a locator whose home lies cyclically in (hole, next] stays where it is
            boolean stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (!stays) {
                slots[hole] = slots[next];
                hole = next;
            }
        }
        slots[hole] = 0;
        stripe.size--;
    }

    /** The scope's document, unless not held or expired at {@code now} (ticker nanos). */
    Held get(int kind, long id, long now) {
        long hash = hash(kind, id);
        Stripe stripe = stripe(hash);
        synchronized (stripe) {
            int slot = find(stripe, kind, id, hash);
            if (slot < 0) {
                return null;
            }
            int locator = stripe.slots[slot];
            byte[] page = pageOf(locator);
            int offset = offsetOf(locator);
            long expires = (long) LONGS.get(page, offset + EXPIRES);
            if (now - expires >= 0) {
                return null;
            }
            long version = (long) LONGS.get(page, offset + VERSION);
            int length = (int) INTS.get(page, offset + LENGTH);
            byte[] document = (page[offset] & FRAMED) != 0
                    ? framed(version, page, offset + HEADER, length)
                    : Arrays.copyOfRange(page, offset + HEADER, offset + HEADER + length);
            return new Held(version, document, expires);
        }
    }

    /**
     * The length of the frame a scope document of {@code version} has, {@code {"version":V,"options":}
     * and a closing brace, when {@code document} has it, else -1: the frame is not stored.
     */
    static int frame(long version, byte[] document) {
        int digits = digits(version);
        int start = FRAME_START.length + digits + FRAME_OPTIONS.length;
        if (version < 0 || document.length < start + 1 || document[document.length - 1] != '}'
                || !Arrays.equals(document, 0, FRAME_START.length, FRAME_START, 0, FRAME_START.length)
                || !Arrays.equals(document, FRAME_START.length + digits, start, FRAME_OPTIONS, 0, FRAME_OPTIONS.length)) {
            return -1;
        }
        for (int i = FRAME_START.length + digits - 1; i >= FRAME_START.length; i--, version /= 10) {
            if (document[i] != '0' + version % 10) {
                return -1;
            }
        }
        return start;
    }

    private static int digits(long value) {
        int digits = 1;
        while (value >= 10) {
            value /= 10;
            digits++;
        }
        return digits;
    }

    /** The document of {@code version} whose options, framed, are {@code length} bytes of {@code page} from {@code from}. */
    private static byte[] framed(long version, byte[] page, int from, int length) {
        int digits = digits(version);
        int start = FRAME_START.length + digits + FRAME_OPTIONS.length;
        byte[] document = new byte[start + length + 1];
        System.arraycopy(FRAME_START, 0, document, 0, FRAME_START.length);
        for (int i = FRAME_START.length + digits - 1; i >= FRAME_START.length; i--, version /= 10) {
            document[i] = (byte) ('0' + version % 10);
        }
        System.arraycopy(FRAME_OPTIONS, 0, document, FRAME_START.length + digits, FRAME_OPTIONS.length);
        System.arraycopy(page, from, document, start, length);
        document[document.length - 1] = '}';
        return document;
    }

    /**
     * Holds the scope's document at {@code version} until {@code expiresAt} (ticker nanos), unless a
     * newer version is held or {@code newest} (the newest version heard of, read under the stripe's
     * lock) is newer. The same version again starts the held one's life again: in place while its
     * record is in the newer half of the ring, else appended anew at its head, so that a scope read
     * all the time (refreshed before it expires) moves away from the pages the ring recycles next. A
     * document too large for a page is not held, and an older one goes. {@code open} is asked under
     * the ring's lock, which {@link #clear} takes: a fill that finds it false is refused, so none
     * lands after a clear that follows its closing.
     *
     * @return whether it is held
     */
    boolean offer(int kind, long id, long version, byte[] document, long expiresAt, LongSupplier newest,
            BooleanSupplier open) {
        int frame = frame(version, document);
        int from = frame < 0 ? 0 : frame;
        int stored = frame < 0 ? document.length : document.length - frame - 1;
        int length = HEADER + stored;
        if (length > pageBytes) {
            invalidate(kind, id, version);
            return false;
        }
        long hash = hash(kind, id);
        Stripe stripe = stripe(hash);
        synchronized (ring) {
            if (!open.getAsBoolean()) {
                return false;
            }
            synchronized (stripe) {
                int slot = find(stripe, kind, id, hash);
                long held = slot < 0 ? 0 : versionAt(stripe.slots[slot]);
                if (held > version || newest.getAsLong() > version) {
                    return false;
                }
                if (slot >= 0 && held == version && recent(pageIndex(stripe.slots[slot]))) {
                    int locator = stripe.slots[slot];
                    LONGS.set(pageOf(locator), offsetOf(locator) + EXPIRES, expiresAt);
                    return true;
                }
            }
            int locator = append(length);
            byte[] page = pageOf(locator);
            int offset = offsetOf(locator);
            page[offset] = (byte) (frame < 0 ? kind : kind | FRAMED);
            LONGS.set(page, offset + 1, id);
            LONGS.set(page, offset + VERSION, version);
            LONGS.set(page, offset + EXPIRES, expiresAt);
            INTS.set(page, offset + LENGTH, stored);
            System.arraycopy(document, from, page, offset + HEADER, stored);
            synchronized (stripe) {
                // again: an invalidation may have come meanwhile (it takes no ring lock), and the
                // append may have recycled the page of the record held before
                int slot = find(stripe, kind, id, hash);
                if (slot >= 0 && versionAt(stripe.slots[slot]) > version || newest.getAsLong() > version) {
                    return false;
                }
                if (slot >= 0) {
                    stripe.slots[slot] = locator;
                } else {
                    insert(stripe, locator, hash);
                }
                return true;
            }
        }
    }

    /** Whether {@code page} is in the newer half of the ring (the pages written since); under the ring's lock. */
    private boolean recent(int page) {
        return Math.floorMod(head - page, pages.length) < pages.length / 2;
    }

    /** Room for a record of {@code length} bytes at the ring's head, recycling the oldest page when full; under the ring's lock. */
    private int append(int length) {
        if (head < 0 || used[head] + length > pageBytes) {
            int next = (head + 1) % pages.length;
            if (pages[next] == null) {
                pages[next] = new byte[pageBytes];
            } else {
                forget(next);
            }
            used[next] = 0;
            head = next;
        }
        int offset = used[head];
        used[head] += length;
        return locator(head, offset);
    }

    /** Removes from the index every record of {@code page} it still points to; under the ring's lock. */
    private void forget(int page) {
        byte[] bytes = pages[page];
        for (int offset = 0; offset < used[page]; offset += HEADER + (int) INTS.get(bytes, offset + LENGTH)) {
            int kind = kindAt(bytes, offset);
            long id = (long) LONGS.get(bytes, offset + 1);
            long hash = hash(kind, id);
            Stripe stripe = stripe(hash);
            synchronized (stripe) {
                int slot = find(stripe, kind, id, hash);
                if (slot >= 0 && stripe.slots[slot] == locator(page, offset)) {
                    delete(stripe, slot);
                    evicted++;
                }
            }
        }
    }

    /** The scope is at {@code version} or later: an older document goes. */
    void invalidate(int kind, long id, long version) {
        long hash = hash(kind, id);
        Stripe stripe = stripe(hash);
        synchronized (stripe) {
            int slot = find(stripe, kind, id, hash);
            if (slot >= 0 && versionAt(stripe.slots[slot]) < version) {
                delete(stripe, slot);
            }
        }
    }

    /** Forgets everything and gives the pages back to the heap. */
    void clear() {
        synchronized (ring) {
            for (Stripe stripe : stripes) {
                synchronized (stripe) {
                    stripe.slots = new int[INITIAL_SLOTS];
                    stripe.size = 0;
                }
            }
            // no locator points into a page any more, and readers find locators only under a stripe's lock
            Arrays.fill(pages, null);
            Arrays.fill(used, 0);
            head = -1;
        }
    }

    /** Scopes held (expired ones included, until their page is recycled). */
    int size() {
        int size = 0;
        for (Stripe stripe : stripes) {
            synchronized (stripe) {
                size += stripe.size;
            }
        }
        return size;
    }

    /** Bytes of the pages allocated. */
    long allocatedBytes() {
        synchronized (ring) {
            long bytes = 0;
            for (byte[] page : pages) {
                bytes += page == null ? 0 : page.length;
            }
            return bytes;
        }
    }

    /** Records forgotten because the ring came round to their page while they were held. */
    long evicted() {
        synchronized (ring) {
            return evicted;
        }
    }
}
