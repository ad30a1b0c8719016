/*
 * Copyright (C) 2026 strongswan-qcd authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */

/**
 * @defgroup qcd_journal qcd_journal
 * @{ @ingroup qcd
 */

#ifndef QCD_JOURNAL_H_
#define QCD_JOURNAL_H_

#include <sa/ike_sa.h>

/** Most slots in a journal file we write or accept */
#define QCD_JOURNAL_MAX_ENTRIES 1000000

typedef struct qcd_journal_t qcd_journal_t;
typedef struct qcd_journal_entry_t qcd_journal_entry_t;

/**
 * What the token maker needs to reach a peer after a restart.  Nothing
 * secret: the SPIs and addresses are on the wire anyway.
 */
struct qcd_journal_entry_t {

	/** initiator SPI, network order */
	uint64_t spi_i;

	/** responder SPI, network order */
	uint64_t spi_r;

	/** we are the original initiator of the IKE_SA */
	bool initiator;

	/** our address and port */
	host_t *local;

	/** the peer's address and port */
	host_t *remote;
};

/**
 * Callback for qcd_journal_t.push().
 *
 * @param data		user data
 * @param entry		inherited entry
 * @return			TRUE if the entry is done with, FALSE to keep it for a
 *					later call
 */
typedef bool (*qcd_journal_push_cb_t)(void *data, qcd_journal_entry_t *entry);

/**
 * State of the journal, for the status view.
 */
typedef struct {
	/** IKE_SAs of this run in the journal */
	u_int entries;
	/** entries from before the start, not pushed yet */
	u_int inherited;
	/** slots the file has, used or free */
	u_int slots;
	/** writes failed in a row, 0 if the last one worked */
	u_int failures;
	/** the file is open and written */
	bool open;
} qcd_journal_status_t;

/**
 * The token maker's journal of IKE_SAs to which it gave its token, for
 * push recovery after a crash.
 *
 * The file is opened once, when the plugin loads (before charon drops its
 * privileges to charon.user), and then written in place: no temporary
 * files, no renames, no directory listing, so it works in a directory
 * charon may not write to, such as /run under Debian's AppArmor profile,
 * which allows /run/charon.* only.  Each IKE_SA has a slot of 64 bytes
 * with its own checksum; adding, moving or removing an IKE_SA rewrites
 * its slot only, so the disk sees a few hundred bytes per change whatever
 * the number of IKE_SAs.  A slot is written with one aligned write that
 * does not cross a page, so a kill -9 at any moment leaves every slot old
 * or new, never torn.  Freed slots are reused lowest first, and free
 * slots at the end are truncated away, so the file is as large as the
 * most IKE_SAs journaled at once since charon started.
 *
 * Changes are queued in memory and a job writes them, a delay after the
 * first change, gathering the changes in between, so IKE processing never
 * waits for the disk.  A failing write is logged once and retried,
 * backing off up to a minute.  The file is not fsync'd: the page cache
 * outlives a crash of charon, but a power loss may lose the last changes
 * or the whole journal, and then peers detect the restart at their next
 * DPD.  The entries found at start are "inherited": they keep their slots
 * until push() is done with them or forget_inherited() drops them, so a
 * crash during the push loses nothing.  Entries that could not be read
 * back (port 0, any address) are not written.
 *
 * File format, version 2, integers in network order:
 *   offset  size    field
 *   0       4       magic "QCDJ"
 *   4       1       format version, 2
 *   5       51      reserved, zero
 *   56      8       SipHash-2-4 of bytes 0 to 55, with a zero key
 *   64+64i  64      slot i: all zero if free, else SPIi (8), SPIr (8),
 *                   flags (1, bit 0: we are the initiator), address family
 *                   (1, 4 or 6), our port (2), the peer's port (2),
 *                   reserved (2), our address (16), the peer's address
 *                   (16), IPv4 in the first 4, then SipHash-2-4 of the
 *                   slot's first 56 bytes, with a zero key (8)
 * A file with a bad header, a size that is no multiple of 64, or more
 * than QCD_JOURNAL_MAX_ENTRIES slots is ignored as a whole, with one
 * error, and started anew.  A slot that is neither free nor valid is
 * ignored, the number of them logged once, and freed.  Thread-safe.
 */
struct qcd_journal_t {

	/**
	 * Record an IKE_SA to which we gave our token, or update its SPIs.
	 *
	 * @param ike_sa	established IKE_SA
	 */
	void (*add)(qcd_journal_t *this, ike_sa_t *ike_sa);

	/**
	 * Update the addresses of a recorded IKE_SA, after MOBIKE or a NAT
	 * mapping moved it.
	 *
	 * @param uid		unique ID of the IKE_SA
	 * @param local		our new address, NULL if unchanged
	 * @param remote	the peer's new address, NULL if unchanged
	 */
	void (*update)(qcd_journal_t *this, u_int uid, host_t *local,
				   host_t *remote);

	/**
	 * Forget an IKE_SA that is destroyed.
	 *
	 * @param uid		unique ID of the IKE_SA
	 */
	void (*remove)(qcd_journal_t *this, u_int uid);

	/**
	 * Offer inherited entries to a callback, at most max of them, each
	 * once.  Entries it is done with are removed, the others offered again
	 * after all the rest.  Not reentrant: one pusher.
	 *
	 * @param cb		callback
	 * @param data		user data for cb
	 * @param max		most entries to offer
	 * @return			number of inherited entries left
	 */
	u_int (*push)(qcd_journal_t *this, qcd_journal_push_cb_t cb, void *data,
				  u_int max);

	/**
	 * Drop the inherited entries that are left.  Only the pusher, or
	 * before push() ever runs: push() reads the entries without the lock.
	 *
	 * @return			number of entries dropped
	 */
	u_int (*forget_inherited)(qcd_journal_t *this);

	/**
	 * Write the file now if anything changed since the last write.
	 *
	 * @return			FALSE if writing failed
	 */
	bool (*flush)(qcd_journal_t *this);

	/**
	 * Get the journal's state.
	 *
	 * @param status	filled in
	 */
	void (*get_status)(qcd_journal_t *this, qcd_journal_status_t *status);

	/**
	 * Write the file a last time if needed and destroy the journal.
	 */
	void (*destroy)(qcd_journal_t *this);
};

/**
 * Create the journal: open the file, creating it if missing, read it (its
 * entries become the inherited ones) and write changes a delay after they
 * happen from then on.  A file that can't be opened, is not a regular
 * file, is owned by another user than root or charon's, or is writable by
 * group or others, is not used: the error is logged once, and nothing is
 * journaled until charon restarts with a usable file.
 *
 * @param path		journal file
 * @param delay		milliseconds to gather changes before a write, 0 to
 *					write only on flush() and destroy()
 * @return			journal
 */
qcd_journal_t *qcd_journal_create(char *path, u_int delay);

#endif /** QCD_JOURNAL_H_ @}*/
