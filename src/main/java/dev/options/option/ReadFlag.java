package dev.options.option;

/**
 * How fresh a read must be, weakest first (MediaWiki's read flags). A unit of work that holds a
 * scope read with one flag serves reads with that flag or a weaker one from memory; a stronger flag
 * reads again.
 */
public enum ReadFlag {
    /** Any layer may answer, as long as it is never older than what this instance already answered. */
    NORMAL,
    /** The primary database, bypassing every cache. */
    LATEST,
    /** The primary database under the scope's lock, held until the transaction ends. */
    LOCKING;

    /** Whether data read with this flag satisfies a read that asks for {@code wanted}. */
    public boolean satisfies(ReadFlag wanted) {
        return compareTo(wanted) >= 0;
    }
}
