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

/** Most entries in a journal file we accept */
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
 * @return			TRUE if the entry is done with, FALSE to keep it
 */
typedef bool (*qcd_journal_push_cb_t)(void *data, qcd_journal_entry_t *entry);

/**
 * The token maker's journal of IKE_SAs to which it gave its token, for
 * push recovery after a crash.
 *
 * The IKE_SAs are kept in memory, and a job rewrites the file atomically
 * when they changed, a delay after the change, gathering the changes in
 * between, so IKE processing never waits for the disk.  Writes are spaced
 * so that writing takes at most about 5% of the time: a large journal is
 * written less often.  A failing write is logged once and retried, backing
 * off up to a minute.  The file is not fsync'd: the page cache outlives a
 * crash of charon, but a power loss may lose the last changes or the
 * whole journal, and then peers detect the restart at their next DPD.
 *
 * The entries of the file found at start are "inherited": they stay in
 * the file until push() is done with them or forget_inherited() drops
 * them, also while push() runs, so a crash during the push loses nothing.
 * Entries that could not be read back (port 0, any address) are not
 * written.
 *
 * File format, version 1, integers in network order:
 *
 *   offset  size    field
 *   0       4       magic "QCDJ"
 *   4       1       format version, 1
 *   5       3       reserved, zero
 *   8       4       n, number of entries
 *   12      4       reserved, zero
 *   16      56 * n  entries: SPIi (8), SPIr (8), flags (1, bit 0: we are
 *                   the initiator), address family (1, 4 or 6), our port
 *                   (2), the peer's port (2), reserved (2), our address
 *                   (16), the peer's address (16), IPv4 in the first 4
 *   16+56n  8       SipHash-2-4 of all before, with a zero key, to detect
 *                   corruption
 *
 * A file that fails any check is ignored as a whole, with one error, and
 * replaced at the next write.  Thread-safe.
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
	 * Offer inherited entries to a callback, which may send at most max.
	 * Entries it is done with are removed.  Not reentrant: one pusher.
	 *
	 * @param cb		callback
	 * @param data		user data for cb
	 * @param max		most entries cb may be done with
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
	 * Write the file a last time if needed and destroy the journal.
	 */
	void (*destroy)(qcd_journal_t *this);
};

/**
 * Create the journal: read the file, whose entries become the inherited
 * ones, and rewrite it delay after changes from then on.
 *
 * @param path		journal file
 * @param delay		milliseconds to gather changes before a write, 0 to
 *					write only on flush() and destroy()
 * @return			journal
 */
qcd_journal_t *qcd_journal_create(char *path, u_int delay);

#endif /** QCD_JOURNAL_H_ @}*/
