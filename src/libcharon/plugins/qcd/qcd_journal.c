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

#include "qcd_journal.h"
#include "qcd_file.h"
#include "qcd_limiter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <daemon.h>
#include <collections/array.h>
#include <collections/hashtable.h>
#include <collections/linked_list.h>
#include <processing/jobs/callback_job.h>
#include <threading/mutex.h>

/** Magic at the start of the file */
#define MAGIC "QCDJ"

/** File format version */
#define FORMAT_VERSION 2

/** Length of the header and of each slot: 4096 is a multiple of it, so no
 * slot crosses a page */
#define SLOT_LEN 64

/** Length of a slot's data, before its checksum */
#define DATA_LEN 56

/** Flag: we are the original initiator */
#define FLAG_INITIATOR 0x01

/** Writing takes at most about 1/QCD_JOURNAL_COST of the time */
#define QCD_JOURNAL_COST 20

/** Most seconds between retries of a failing write */
#define QCD_JOURNAL_BACKOFF_MAX 60

/** Most slots encoded with one hold of the lock, so that IKE threads
 * never wait long for it */
#define QCD_JOURNAL_BATCH 256

/** Offset of slot i in the file */
#define SLOT_OFFSET(i) ((off_t)SLOT_LEN * ((off_t)(i) + 1))

typedef struct private_qcd_journal_t private_qcd_journal_t;

/**
 * An IKE_SA in the journal
 */
typedef struct {
	/** unique ID of the IKE_SA, hash table key; 0 if inherited */
	u_int uid;
	/** journaled data */
	qcd_journal_entry_t entry;
	/** its slot in the file */
	u_int slot;
	/** inherited and done with, freed at the end of push() */
	bool done;
} sa_t;

/**
 * Private data of a qcd_journal_t object.
 */
struct private_qcd_journal_t {

	/**
	 * Public interface.
	 */
	qcd_journal_t public;

	/**
	 * Journal file
	 */
	char *path;

	/**
	 * The open file, -1 if not used
	 */
	int fd;

	/**
	 * unique ID => sa_t, our IKE_SAs
	 */
	hashtable_t *sas;

	/**
	 * sa_t*, from the file found at start; only the pusher changes the
	 * list, with the lock held, so it may read it without
	 */
	linked_list_t *inherited;

	/**
	 * slot => sa_t*, NULL for a free slot
	 */
	sa_t **table;

	/**
	 * slot => queued for writing
	 */
	u_char *queued;

	/**
	 * Allocated length of table and queued
	 */
	u_int size;

	/**
	 * Slots in use: the last one is used, all beyond are free
	 */
	u_int slots;

	/**
	 * No free slot below this one
	 */
	u_int lowest;

	/**
	 * u_int, slots to write, in the order they changed
	 */
	array_t *dirty;

	/**
	 * The journal is full, logged once
	 */
	bool full;

	/**
	 * Milliseconds to gather changes before a write, 0 for no write job
	 */
	u_int delay;

	/**
	 * A write job is queued or scheduled
	 */
	bool scheduled;

	/**
	 * Monotonic time in ms before which no write starts, see flush()
	 */
	uint64_t next_write;

	/**
	 * Writes failed in a row
	 */
	u_int failures;

	/**
	 * Being destroyed, no more write jobs
	 */
	bool destroying;

	/**
	 * Protects the above
	 */
	mutex_t *mutex;

	/**
	 * Only one writer at a time; it alone uses file_slots
	 */
	mutex_t *writing;

	/**
	 * Slots the file has
	 */
	u_int file_slots;
};

/** Key for the SipHash checksums: they only detect corruption */
static u_char mac_key[16];

static job_requeue_t write_job(private_qcd_journal_t *this);

/**
 * Make sure a write follows a change, with the lock held: at once after a
 * quiet time, so that a new IKE_SA is on disk before a crash that follows
 * right after (a gateway in a crash loop), else at next_write, at least
 * delay after the last write, so that the changes of a burst (a push round
 * and the IKE_SAs it brings back) share writes and the time spent writing
 * stays bounded, see flush()
 */
static void changed(private_qcd_journal_t *this)
{
	uint64_t now, due;

	if (this->scheduled || !this->delay || this->destroying)
	{
		return;
	}
	this->scheduled = TRUE;
	now = qcd_bucket_now();
	due = max(now, this->next_write);
	lib->scheduler->schedule_job_ms(lib->scheduler, (job_t*)
				callback_job_create((callback_job_cb_t)write_job, this,
									NULL, NULL), due - now);
}

/**
 * Queue a slot for writing, with the lock held
 */
static void queue(private_qcd_journal_t *this, u_int slot)
{
	if (!this->queued[slot])
	{
		this->queued[slot] = 1;
		array_insert(this->dirty, ARRAY_TAIL, &slot);
	}
	changed(this);
}

/**
 * Take the lowest free slot, with the lock held; FALSE if the journal is
 * full, as decoding would refuse a larger file
 */
static bool alloc_slot(private_qcd_journal_t *this, u_int *slot)
{
	u_int i;

	for (i = this->lowest; i < this->slots && this->table[i]; i++)
	{
		/* the hint is exact unless a slot below was taken meanwhile */
	}
	if (i == this->slots)
	{
		if (i >= QCD_JOURNAL_MAX_ENTRIES)
		{
			return FALSE;
		}
		if (i == this->size)
		{
			this->size = min(max(this->size * 2, 64), QCD_JOURNAL_MAX_ENTRIES);
			this->table = realloc(this->table, sizeof(sa_t*) * this->size);
			this->queued = realloc(this->queued, this->size);
			memset(this->table + i, 0, sizeof(sa_t*) * (this->size - i));
			memset(this->queued + i, 0, this->size - i);
		}
		this->slots++;
	}
	this->lowest = i + 1;
	*slot = i;
	return TRUE;
}

/**
 * Free a slot and queue it, with the lock held; free slots at the end are
 * truncated away at the next write
 */
static void free_slot(private_qcd_journal_t *this, u_int slot)
{
	this->table[slot] = NULL;
	this->lowest = min(this->lowest, slot);
	while (this->slots && !this->table[this->slots - 1])
	{
		this->slots--;
	}
	queue(this, slot);
}

/**
 * Destroy an entry's data
 */
static void entry_clear(qcd_journal_entry_t *entry)
{
	DESTROY_IF(entry->local);
	DESTROY_IF(entry->remote);
}

/**
 * Destroy a journaled IKE_SA
 */
static void sa_destroy(sa_t *this)
{
	entry_clear(&this->entry);
	free(this);
}

/**
 * Whether an entry can be journaled and read back: decode_entry() and
 * encode_entry() both check it, so that no entry we write is refused at
 * the next start
 */
static bool entry_valid(qcd_journal_entry_t *entry)
{
	int family;

	if (!entry->spi_i || !entry->spi_r || !entry->local || !entry->remote)
	{
		return FALSE;
	}
	family = entry->local->get_family(entry->local);
	return family == entry->remote->get_family(entry->remote) &&
		   (family == AF_INET || family == AF_INET6) &&
		   entry->local->get_port(entry->local) &&
		   entry->remote->get_port(entry->remote) &&
		   !entry->local->is_anyaddr(entry->local) &&
		   !entry->remote->is_anyaddr(entry->remote);
}

METHOD(qcd_journal_t, add, void,
	private_qcd_journal_t *this, ike_sa_t *ike_sa)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);
	host_t *local = ike_sa->get_my_host(ike_sa);
	host_t *remote = ike_sa->get_other_host(ike_sa);
	sa_t *sa, *old = NULL;
	bool full = FALSE;

	if (this->fd < 0)
	{
		return;
	}
	INIT(sa,
		.uid = ike_sa->get_unique_id(ike_sa),
		.entry = {
			.spi_i = id->get_initiator_spi(id),
			.spi_r = id->get_responder_spi(id),
			.initiator = id->is_initiator(id),
			.local = local->clone(local),
			.remote = remote->clone(remote),
		},
	);
	if (!entry_valid(&sa->entry))
	{	/* decoding would refuse it */
		sa_destroy(sa);
		return;
	}
	this->mutex->lock(this->mutex);
	old = this->sas->get(this->sas, (void*)(uintptr_t)sa->uid);
	if (old)
	{	/* new SPIs after a rekey, same slot */
		sa->slot = old->slot;
	}
	else if (!alloc_slot(this, &sa->slot))
	{
		full = !this->full;
		this->full = TRUE;
		this->mutex->unlock(this->mutex);
		if (full)
		{
			DBG1(DBG_CFG, "qcd: journal file '%s' is full (%u IKE_SAs), more "
				 "IKE_SAs get no push after a restart", this->path,
				 QCD_JOURNAL_MAX_ENTRIES);
		}
		sa_destroy(sa);
		return;
	}
	this->sas->put(this->sas, (void*)(uintptr_t)sa->uid, sa);
	this->table[sa->slot] = sa;
	queue(this, sa->slot);
	this->mutex->unlock(this->mutex);
	if (old)
	{
		sa_destroy(old);
	}
}

METHOD(qcd_journal_t, update, void,
	private_qcd_journal_t *this, u_int uid, host_t *local, host_t *remote)
{
	sa_t *sa;

	this->mutex->lock(this->mutex);
	sa = this->sas->get(this->sas, (void*)(uintptr_t)uid);
	if (sa && local && !local->equals(local, sa->entry.local))
	{
		sa->entry.local->destroy(sa->entry.local);
		sa->entry.local = local->clone(local);
		queue(this, sa->slot);
	}
	if (sa && remote && !remote->equals(remote, sa->entry.remote))
	{
		sa->entry.remote->destroy(sa->entry.remote);
		sa->entry.remote = remote->clone(remote);
		queue(this, sa->slot);
	}
	this->mutex->unlock(this->mutex);
}

METHOD(qcd_journal_t, remove_, void,
	private_qcd_journal_t *this, u_int uid)
{
	sa_t *sa;

	this->mutex->lock(this->mutex);
	sa = this->sas->remove(this->sas, (void*)(uintptr_t)uid);
	if (sa)
	{
		free_slot(this, sa->slot);
	}
	this->mutex->unlock(this->mutex);
	if (sa)
	{
		sa_destroy(sa);
	}
}

METHOD(qcd_journal_t, push, u_int,
	private_qcd_journal_t *this, qcd_journal_push_cb_t cb, void *data,
	u_int max)
{
	enumerator_t *enumerator;
	sa_t *sa;
	u_int offered = 0, left;

	/* the callback runs without our lock: it may take charon's locks.  The
	 * entries keep their slots meanwhile, as only we change the list */
	enumerator = this->inherited->create_enumerator(this->inherited);
	while (offered < max && enumerator->enumerate(enumerator, &sa))
	{
		sa->done = cb(data, &sa->entry);
		offered++;
	}
	enumerator->destroy(enumerator);

	/* remove the offered entries done with and queue the others behind
	 * those not offered yet: the next call offers those first, so that a
	 * pusher limited to max entries per call reaches every entry */
	this->mutex->lock(this->mutex);
	while (offered--)
	{
		this->inherited->remove_first(this->inherited, (void**)&sa);
		if (sa->done)
		{
			free_slot(this, sa->slot);
			sa_destroy(sa);
		}
		else
		{
			this->inherited->insert_last(this->inherited, sa);
		}
	}
	left = this->inherited->get_count(this->inherited);
	this->mutex->unlock(this->mutex);
	return left;
}

METHOD(qcd_journal_t, forget_inherited, u_int,
	private_qcd_journal_t *this)
{
	u_int count;
	sa_t *sa;

	this->mutex->lock(this->mutex);
	count = this->inherited->get_count(this->inherited);
	while (this->inherited->remove_first(this->inherited,
										 (void**)&sa) == SUCCESS)
	{
		free_slot(this, sa->slot);
		sa_destroy(sa);
	}
	this->mutex->unlock(this->mutex);
	return count;
}

/**
 * Encode a slot, all zero if sa is NULL or can't be journaled
 */
static void encode_slot(sa_t *sa, u_char *pos)
{
	qcd_journal_entry_t *entry = sa ? &sa->entry : NULL;
	chunk_t local, remote;

	memset(pos, 0, SLOT_LEN);
	if (!entry || !entry_valid(entry))
	{
		return;
	}
	local = entry->local->get_address(entry->local);
	remote = entry->remote->get_address(entry->remote);
	memcpy(pos, &entry->spi_i, 8);
	memcpy(pos + 8, &entry->spi_r, 8);
	pos[16] = entry->initiator ? FLAG_INITIATOR : 0;
	pos[17] = local.len == 4 ? 4 : 6;
	htoun16(pos + 18, entry->local->get_port(entry->local));
	htoun16(pos + 20, entry->remote->get_port(entry->remote));
	memcpy(pos + 24, local.ptr, local.len);
	memcpy(pos + 40, remote.ptr, remote.len);
	htoun64(pos + DATA_LEN, chunk_mac(chunk_create(pos, DATA_LEN), mac_key));
}

/**
 * Compare slot numbers, for sorting
 */
static int cmp_slot(const void *a, const void *b)
{
	u_int x = *(u_int*)a, y = *(u_int*)b;

	return x < y ? -1 : x > y;
}

/**
 * Write one batch of queued slots, the writing lock held: truncate free
 * slots at the end, then write the others in runs of adjacent slots.
 * FALSE with errno set if that fails, and the batch queued again
 */
static bool write_batch(private_qcd_journal_t *this, u_int *remaining)
{
	u_int slots[QCD_JOURNAL_BATCH], n = 0, i, run, target;
	u_char *buf;
	bool ok = TRUE;
	int err = 0;

	this->mutex->lock(this->mutex);
	target = this->slots;
	while (n < QCD_JOURNAL_BATCH && *remaining &&
		   array_remove(this->dirty, ARRAY_HEAD, &slots[n]))
	{
		(*remaining)--;
		this->queued[slots[n]] = 0;
		/* a free slot beyond the end is truncated away, not written */
		if (slots[n] < target || this->table[slots[n]])
		{
			n++;
		}
	}
	qsort(slots, n, sizeof(slots[0]), cmp_slot);
	buf = malloc(SLOT_LEN * max(n, 1));
	for (i = 0; i < n; i++)
	{
		encode_slot(this->table[slots[i]], buf + SLOT_LEN * i);
	}
	this->mutex->unlock(this->mutex);

	if (this->file_slots > target)
	{	/* before the writes: a crash leaves no slot freed in memory */
		ok = ftruncate(this->fd, SLOT_OFFSET(target)) == 0;
		err = errno;
		if (ok)
		{
			this->file_slots = target;
		}
	}
	for (i = 0; ok && i < n; i = run)
	{
		for (run = i + 1; run < n && slots[run] == slots[run - 1] + 1; run++)
		{
			/* adjacent slots share one write */
		}
		ok = qcd_file_write_all(this->fd, chunk_create(buf + SLOT_LEN * i,
								SLOT_LEN * (run - i)), SLOT_OFFSET(slots[i]));
		err = errno;
		if (ok)
		{
			this->file_slots = max(this->file_slots, slots[run - 1] + 1);
		}
	}
	free(buf);
	if (!ok)
	{	/* written again at the retry, as they are now */
		this->mutex->lock(this->mutex);
		for (i = 0; i < n; i++)
		{
			if (!this->queued[slots[i]])
			{
				this->queued[slots[i]] = 1;
				array_insert(this->dirty, ARRAY_TAIL, &slots[i]);
			}
		}
		this->mutex->unlock(this->mutex);
		errno = err;
	}
	return ok;
}

METHOD(qcd_journal_t, flush, bool,
	private_qcd_journal_t *this)
{
	uint64_t start, end;
	u_int remaining;
	bool ok = TRUE, wrote;
#if DEBUG_LEVEL >= 1
	int err = 0;
#endif

	if (this->fd < 0)
	{
		return FALSE;
	}
	this->writing->lock(this->writing);
	start = qcd_bucket_now();
	/* what is queued now, not what IKE threads queue meanwhile: that is
	 * for the next job */
	this->mutex->lock(this->mutex);
	remaining = array_count(this->dirty);
	wrote = remaining || this->file_slots > this->slots;
	this->mutex->unlock(this->mutex);
	do
	{
		ok = write_batch(this, &remaining);
#if DEBUG_LEVEL >= 1
		err = errno;
#endif
	}
	while (ok && remaining);

	if (wrote)
	{
		end = qcd_bucket_now();
		this->mutex->lock(this->mutex);
		if (ok)
		{
			if (this->failures)
			{
				DBG1(DBG_CFG, "qcd: writing journal file '%s' works again, "
					 "after %u failed attempt(s)", this->path, this->failures);
			}
			this->failures = 0;
			/* spend at most about 1/QCD_JOURNAL_COST of the time writing */
			this->next_write = end + max((uint64_t)this->delay,
									(end - start) * (QCD_JOURNAL_COST - 1));
		}
		else
		{	/* retry, backing off up to QCD_JOURNAL_BACKOFF_MAX seconds */
			if (!this->failures++)
			{
				DBG1(DBG_CFG, "qcd: writing journal file '%s' failed: %s; "
					 "retrying, silently, until it works", this->path,
					 strerror(err));
			}
			this->next_write = end + 1000ULL *
				min(1ULL << min(this->failures - 1, 16),
					(uint64_t)QCD_JOURNAL_BACKOFF_MAX);
		}
		if (array_count(this->dirty) || this->file_slots > this->slots)
		{
			changed(this);
		}
		this->mutex->unlock(this->mutex);
	}
	this->writing->unlock(this->writing);
	return ok;
}

/**
 * The write job
 */
static job_requeue_t write_job(private_qcd_journal_t *this)
{
	this->mutex->lock(this->mutex);
	this->scheduled = FALSE;
	this->mutex->unlock(this->mutex);
	flush(this);
	return JOB_REQUEUE_NONE;
}

METHOD(qcd_journal_t, get_status, void,
	private_qcd_journal_t *this, qcd_journal_status_t *status)
{
	this->mutex->lock(this->mutex);
	*status = (qcd_journal_status_t){
		.entries = this->sas->get_count(this->sas),
		.inherited = this->inherited->get_count(this->inherited),
		.slots = this->slots,
		.failures = this->failures,
		.open = this->fd >= 0,
	};
	this->mutex->unlock(this->mutex);
}

/**
 * Decode a slot, NULL if it is invalid
 */
static sa_t *decode_slot(u_char *pos)
{
	sa_t *sa;
	int family, len;

	if (untoh64(pos + DATA_LEN) !=
			chunk_mac(chunk_create(pos, DATA_LEN), mac_key) ||
		(pos[17] != 4 && pos[17] != 6) || (pos[16] & ~FLAG_INITIATOR) ||
		pos[22] || pos[23])
	{
		return NULL;
	}
	family = pos[17] == 4 ? AF_INET : AF_INET6;
	len = family == AF_INET ? 4 : 16;
	INIT(sa,
		.entry = {
			.initiator = pos[16] & FLAG_INITIATOR,
			.local = host_create_from_chunk(family, chunk_create(pos + 24, len),
											untoh16(pos + 18)),
			.remote = host_create_from_chunk(family,
											 chunk_create(pos + 40, len),
											 untoh16(pos + 20)),
		},
	);
	memcpy(&sa->entry.spi_i, pos, 8);
	memcpy(&sa->entry.spi_r, pos + 8, 8);
	if (!entry_valid(&sa->entry))
	{
		sa_destroy(sa);
		return NULL;
	}
	return sa;
}

/**
 * Encode the header
 */
static void encode_header(u_char *buf)
{
	memset(buf, 0, SLOT_LEN);
	memcpy(buf, MAGIC, 4);
	buf[4] = FORMAT_VERSION;
	htoun64(buf + DATA_LEN, chunk_mac(chunk_create(buf, DATA_LEN), mac_key));
}

/**
 * Check the header, the error if any
 */
static char *check_header(chunk_t data)
{
	u_char header[SLOT_LEN];

	if (data.len < SLOT_LEN || !memeq(data.ptr, MAGIC, 4))
	{
		return "not a QCD journal (bad magic or too short)";
	}
	if (data.ptr[4] != FORMAT_VERSION)
	{
		return "unknown format version";
	}
	encode_header(header);
	if (data.len % SLOT_LEN || !memeq(data.ptr, header, SLOT_LEN))
	{
		return "truncated or corrupt";
	}
	return NULL;
}

/**
 * Take the slots of the file found at start: valid ones become inherited
 * entries, damaged ones are freed
 */
static void parse_slots(private_qcd_journal_t *this, chunk_t data)
{
	static const u_char zero[SLOT_LEN];
	u_int i, count = data.len / SLOT_LEN - 1, damaged = 0;
	u_char *pos;
	sa_t *sa;

	this->size = max(count, 64);
	this->table = calloc(this->size, sizeof(sa_t*));
	this->queued = calloc(this->size, 1);
	this->file_slots = count;
	this->lowest = count;
	for (i = 0; i < count; i++)
	{
		pos = data.ptr + SLOT_OFFSET(i);
		if (memeq(pos, zero, SLOT_LEN))
		{
			this->lowest = min(this->lowest, i);
			continue;
		}
		sa = decode_slot(pos);
		if (!sa)
		{	/* one bad slot costs one IKE_SA its push, not all */
			damaged++;
			this->lowest = min(this->lowest, i);
			queue(this, i);
			continue;
		}
		sa->slot = i;
		this->table[i] = sa;
		this->slots = i + 1;
		this->inherited->insert_last(this->inherited, sa);
	}
	if (damaged)
	{
		DBG1(DBG_CFG, "qcd: journal file '%s': ignoring %u damaged slot(s); "
			 "their peers get no push and detect the restart at their next "
			 "DPD", this->path, damaged);
	}
	if (this->file_slots > this->slots)
	{	/* truncate free slots at the end */
		changed(this);
	}
}

/**
 * Start the file anew: just the header
 */
static bool reset(private_qcd_journal_t *this)
{
	u_char header[SLOT_LEN];

	encode_header(header);
	this->file_slots = 0;
	return ftruncate(this->fd, 0) == 0 &&
		   qcd_file_write_all(this->fd, chunk_from_thing(header), 0);
}

/**
 * Check the opened file, the error if any
 */
static char *check_file(private_qcd_journal_t *this, struct stat *st)
{
	if (fstat(this->fd, st) != 0 || !S_ISREG(st->st_mode))
	{
		return "not a regular file";
	}
	if (!qcd_file_owner_ok(st->st_uid))
	{
		return "owned by another user than root or the one charon runs as";
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH))
	{	/* whoever may write it chooses where we push to */
		return "writable by group or others";
	}
	return NULL;
}

/**
 * Open and load the file found at start
 */
static void load(private_qcd_journal_t *this)
{
	chunk_t data = chunk_empty;
	struct stat st;
	char *error = NULL;

	/* O_NONBLOCK: opening a FIFO must not block charon */
	this->fd = open(this->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
					O_NONBLOCK, 0600);
	if (this->fd < 0)
	{
		DBG1(DBG_CFG, "qcd: opening journal file '%s' failed: %s; nothing is "
			 "journaled, no push after a restart%s", this->path,
			 strerror(errno), errno == EACCES ? "; if AppArmor confines "
			 "charon, choose a path its profile lets it write, such as "
			 "/run/charon.qcd-journal" : "");
		return;
	}
	error = check_file(this, &st);
	if (error)
	{
		DBG1(DBG_CFG, "qcd: not using journal file '%s': %s; nothing is "
			 "journaled, no push after a restart, until it is fixed or "
			 "removed", this->path, error);
		close(this->fd);
		this->fd = -1;
		return;
	}
	if (st.st_size > SLOT_OFFSET(QCD_JOURNAL_MAX_ENTRIES))
	{
		error = "too large";
	}
	else if (st.st_size)
	{
		data = chunk_alloc(st.st_size);
		if (pread(this->fd, data.ptr, data.len, 0) != (ssize_t)data.len)
		{
			error = "read failed or file changed";
		}
		else if (!(error = check_header(data)))
		{
			parse_slots(this, data);
		}
		chunk_free(&data);
	}
	if (error)
	{	/* never trusted in part: the header covers the whole file */
		DBG1(DBG_CFG, "qcd: ignoring journal file '%s': %s; no push after "
			 "this start, peers detect it at their next DPD; starting it "
			 "anew", this->path, error);
	}
	if (!st.st_size || error)
	{
		if (!reset(this))
		{
			DBG1(DBG_CFG, "qcd: writing journal file '%s' failed: %s; nothing "
				 "is journaled, no push after a restart", this->path,
				 strerror(errno));
			close(this->fd);
			this->fd = -1;
			return;
		}
	}
	if (this->inherited->get_count(this->inherited))
	{
		DBG1(DBG_CFG, "qcd: journal file '%s' lists %u IKE_SA(s) from before "
			 "the start", this->path,
			 this->inherited->get_count(this->inherited));
	}
}

METHOD(qcd_journal_t, destroy, void,
	private_qcd_journal_t *this)
{
	/* a failing last write must not schedule a job on a freed journal */
	this->mutex->lock(this->mutex);
	this->destroying = TRUE;
	this->mutex->unlock(this->mutex);
	flush(this);
	this->sas->destroy_function(this->sas, (void*)sa_destroy);
	this->inherited->destroy_function(this->inherited, (void*)sa_destroy);
	array_destroy(this->dirty);
	if (this->fd >= 0)
	{
		close(this->fd);
	}
	this->mutex->destroy(this->mutex);
	this->writing->destroy(this->writing);
	free(this->table);
	free(this->queued);
	free(this->path);
	free(this);
}

/*
 * Described in header
 */
qcd_journal_t *qcd_journal_create(char *path, u_int delay)
{
	private_qcd_journal_t *this;

	INIT(this,
		.public = {
			.add = _add,
			.update = _update,
			.remove = _remove_,
			.push = _push,
			.forget_inherited = _forget_inherited,
			.flush = _flush,
			.get_status = _get_status,
			.destroy = _destroy,
		},
		.path = strdup(path),
		.sas = hashtable_create(hashtable_hash_ptr, hashtable_equals_ptr, 128),
		.inherited = linked_list_create(),
		.dirty = array_create(sizeof(u_int), 0),
		.delay = delay,
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
		.writing = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	load(this);
	if (!this->table)
	{
		this->size = 64;
		this->table = calloc(this->size, sizeof(sa_t*));
		this->queued = calloc(this->size, 1);
	}
	return &this->public;
}
