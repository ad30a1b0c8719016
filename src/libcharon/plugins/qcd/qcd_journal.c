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
#include <sys/stat.h>
#include <unistd.h>

#include <daemon.h>
#include <collections/hashtable.h>
#include <collections/linked_list.h>
#include <processing/jobs/callback_job.h>
#include <threading/mutex.h>

/** Magic at the start of the file */
#define MAGIC "QCDJ"

/** File format version */
#define FORMAT_VERSION 1

/** Header, entry and trailer lengths */
#define HEADER_LEN 16
#define ENTRY_LEN 56
#define TRAILER_LEN 8

/** Flag: we are the original initiator */
#define FLAG_INITIATOR 0x01

/** Writing takes at most about 1/QCD_JOURNAL_COST of the time */
#define QCD_JOURNAL_COST 20

/** Most seconds between retries of a failing write */
#define QCD_JOURNAL_BACKOFF_MAX 60

typedef struct private_qcd_journal_t private_qcd_journal_t;

/**
 * An IKE_SA in the journal
 */
typedef struct {
	/** unique ID of the IKE_SA, hash table key */
	u_int uid;
	/** journaled data */
	qcd_journal_entry_t entry;
} sa_t;

/**
 * An IKE_SA from the file found at start
 */
typedef struct {
	/** journaled data */
	qcd_journal_entry_t entry;
	/** pushed, to be removed at the end of the round */
	bool done;
} inherited_t;

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
	 * unique ID => sa_t, our IKE_SAs
	 */
	hashtable_t *sas;

	/**
	 * inherited_t*, from the file found at start; only the pusher changes
	 * the list, with the lock held, so it may read it without
	 */
	linked_list_t *inherited;

	/**
	 * The file differs from memory
	 */
	bool dirty;

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
	 * Only one writer at a time, and no write before the previous one is done
	 */
	mutex_t *writing;
};

/** Key for the SipHash trailer: it only detects corruption */
static u_char mac_key[16];

static job_requeue_t write_job(private_qcd_journal_t *this);

/**
 * Note a change, with the lock held, and make sure a write follows: at
 * once after a quiet time, so that a new IKE_SA is on disk before a crash
 * that follows right after (a gateway in a crash loop), else at next_write,
 * at least delay after the last write, so that the changes of a burst (a
 * push round and the IKE_SAs it brings back) share writes and the time
 * spent writing stays bounded, see flush()
 */
static void changed(private_qcd_journal_t *this)
{
	uint64_t now, due;

	this->dirty = TRUE;
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
 * Destroy an entry's data
 */
static void entry_clear(qcd_journal_entry_t *entry)
{
	DESTROY_IF(entry->local);
	DESTROY_IF(entry->remote);
}

/**
 * Destroy an inherited entry
 */
static void inherited_destroy(inherited_t *this)
{
	entry_clear(&this->entry);
	free(this);
}

METHOD(qcd_journal_t, add, void,
	private_qcd_journal_t *this, ike_sa_t *ike_sa)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);
	host_t *local = ike_sa->get_my_host(ike_sa);
	host_t *remote = ike_sa->get_other_host(ike_sa);
	sa_t *sa;

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
	this->mutex->lock(this->mutex);
	sa = this->sas->put(this->sas, (void*)(uintptr_t)sa->uid, sa);
	changed(this);
	this->mutex->unlock(this->mutex);
	if (sa)
	{
		entry_clear(&sa->entry);
		free(sa);
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
		changed(this);
	}
	if (sa && remote && !remote->equals(remote, sa->entry.remote))
	{
		sa->entry.remote->destroy(sa->entry.remote);
		sa->entry.remote = remote->clone(remote);
		changed(this);
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
		changed(this);
	}
	this->mutex->unlock(this->mutex);
	if (sa)
	{
		entry_clear(&sa->entry);
		free(sa);
	}
}

METHOD(qcd_journal_t, push, u_int,
	private_qcd_journal_t *this, qcd_journal_push_cb_t cb, void *data,
	u_int max)
{
	enumerator_t *enumerator;
	inherited_t *inherited;
	u_int done = 0, removed = 0, left;

	/* the callback runs without our lock: it may take charon's locks.  The
	 * entries stay in the list meanwhile, so a write in this window keeps
	 * them; entries done with are only marked, and removed below, as only
	 * we change the list */
	enumerator = this->inherited->create_enumerator(this->inherited);
	while (done < max && enumerator->enumerate(enumerator, &inherited))
	{
		if (cb(data, &inherited->entry))
		{
			inherited->done = TRUE;
			done++;
		}
	}
	enumerator->destroy(enumerator);

	this->mutex->lock(this->mutex);
	enumerator = this->inherited->create_enumerator(this->inherited);
	while (removed < done && enumerator->enumerate(enumerator, &inherited))
	{
		if (inherited->done)
		{
			this->inherited->remove_at(this->inherited, enumerator);
			inherited_destroy(inherited);
			removed++;
		}
	}
	enumerator->destroy(enumerator);
	if (done)
	{
		changed(this);
	}
	left = this->inherited->get_count(this->inherited);
	this->mutex->unlock(this->mutex);
	return left;
}

METHOD(qcd_journal_t, forget_inherited, u_int,
	private_qcd_journal_t *this)
{
	u_int count;

	this->mutex->lock(this->mutex);
	count = this->inherited->get_count(this->inherited);
	this->inherited->destroy_function(this->inherited,
									  (void*)inherited_destroy);
	this->inherited = linked_list_create();
	if (count)
	{
		changed(this);
	}
	this->mutex->unlock(this->mutex);
	return count;
}

/**
 * Whether an entry can be journaled and read back: decode_entry() and
 * encode_entry() both check it, so that no entry we write makes the whole
 * file unreadable at the next start
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

/**
 * Encode an entry, FALSE if it can't be journaled
 */
static bool encode_entry(qcd_journal_entry_t *entry, u_char *pos)
{
	chunk_t local, remote;
	int family;

	if (!entry_valid(entry))
	{
		return FALSE;
	}
	local = entry->local->get_address(entry->local);
	remote = entry->remote->get_address(entry->remote);
	family = entry->local->get_family(entry->local);
	memset(pos, 0, ENTRY_LEN);
	memcpy(pos, &entry->spi_i, 8);
	memcpy(pos + 8, &entry->spi_r, 8);
	pos[16] = entry->initiator ? FLAG_INITIATOR : 0;
	pos[17] = family == AF_INET ? 4 : 6;
	htoun16(pos + 18, entry->local->get_port(entry->local));
	htoun16(pos + 20, entry->remote->get_port(entry->remote));
	memcpy(pos + 24, local.ptr, local.len);
	memcpy(pos + 40, remote.ptr, remote.len);
	return TRUE;
}

/**
 * Encode the journal, with the lock held
 */
static chunk_t encode(private_qcd_journal_t *this)
{
	enumerator_t *enumerator;
	inherited_t *inherited;
	chunk_t data;
	u_char *pos;
	u_int count;
	sa_t *sa;

	count = this->sas->get_count(this->sas) +
			this->inherited->get_count(this->inherited);
	data = chunk_alloc(HEADER_LEN + ENTRY_LEN * count + TRAILER_LEN);
	memset(data.ptr, 0, HEADER_LEN);
	memcpy(data.ptr, MAGIC, 4);
	data.ptr[4] = FORMAT_VERSION;
	pos = data.ptr + HEADER_LEN;
	count = 0;
	enumerator = this->sas->create_enumerator(this->sas);
	while (enumerator->enumerate(enumerator, NULL, &sa))
	{
		if (encode_entry(&sa->entry, pos))
		{
			pos += ENTRY_LEN;
			count++;
		}
	}
	enumerator->destroy(enumerator);
	enumerator = this->inherited->create_enumerator(this->inherited);
	while (enumerator->enumerate(enumerator, &inherited))
	{
		if (encode_entry(&inherited->entry, pos))
		{
			pos += ENTRY_LEN;
			count++;
		}
	}
	enumerator->destroy(enumerator);
	htoun32(data.ptr + 8, count);
	data.len = pos - data.ptr;
	htoun64(pos, chunk_mac(data, mac_key));
	data.len += TRAILER_LEN;
	return data;
}

METHOD(qcd_journal_t, flush, bool,
	private_qcd_journal_t *this)
{
	chunk_t data = chunk_empty;
	uint64_t start, end;
	bool ok = TRUE;

	this->writing->lock(this->writing);
	this->mutex->lock(this->mutex);
	start = qcd_bucket_now();
	if (this->dirty)
	{
		data = encode(this);
		this->dirty = FALSE;
	}
	this->mutex->unlock(this->mutex);
	if (data.len)
	{	/* no fsync: the page cache outlives a crash of charon.  A failure
		 * is logged once, not at every retry */
		ok = (this->failures ?
			  qcd_file_save_quiet(this->path, data, TRUE, FALSE) :
			  qcd_file_save(this->path, "journal file", data, TRUE,
							FALSE)) == QCD_FILE_SAVED;
		chunk_free(&data);
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
			/* spend at most about 1/QCD_JOURNAL_COST of the time writing:
			 * a large journal is written less often than a small one */
			this->next_write = end + max((uint64_t)this->delay,
									(end - start) * (QCD_JOURNAL_COST - 1));
		}
		else
		{	/* retry, backing off up to QCD_JOURNAL_BACKOFF_MAX seconds */
			if (!this->failures++)
			{
				DBG1(DBG_CFG, "qcd: retrying the journal file, silently, until "
					 "it works");
			}
			this->next_write = end + 1000ULL *
				min(1ULL << min(this->failures - 1, 16),
					(uint64_t)QCD_JOURNAL_BACKOFF_MAX);
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

/**
 * Decode an entry, NULL if it is invalid
 */
static inherited_t *decode_entry(u_char *pos)
{
	inherited_t *inherited;
	int family, len;

	if ((pos[17] != 4 && pos[17] != 6) || (pos[16] & ~FLAG_INITIATOR) ||
		pos[22] || pos[23])
	{
		return NULL;
	}
	family = pos[17] == 4 ? AF_INET : AF_INET6;
	len = family == AF_INET ? 4 : 16;
	INIT(inherited,
		.entry = {
			.initiator = pos[16] & FLAG_INITIATOR,
			.local = host_create_from_chunk(family, chunk_create(pos + 24, len),
											untoh16(pos + 18)),
			.remote = host_create_from_chunk(family, chunk_create(pos + 40, len),
											 untoh16(pos + 20)),
		},
	);
	memcpy(&inherited->entry.spi_i, pos, 8);
	memcpy(&inherited->entry.spi_r, pos + 8, 8);
	if (!entry_valid(&inherited->entry))
	{
		inherited_destroy(inherited);
		return NULL;
	}
	return inherited;
}

/**
 * Parse the file's content into the inherited entries, the error if any
 */
static char *parse(private_qcd_journal_t *this, chunk_t data)
{
	inherited_t *entry;
	uint32_t count, i;

	if (data.len < HEADER_LEN + TRAILER_LEN || !memeq(data.ptr, MAGIC, 4))
	{
		return "not a QCD journal (bad magic or too short)";
	}
	if (data.ptr[4] != FORMAT_VERSION)
	{
		return "unknown format version";
	}
	count = untoh32(data.ptr + 8);
	if (data.ptr[5] || data.ptr[6] || data.ptr[7] || untoh32(data.ptr + 12) ||
		count > QCD_JOURNAL_MAX_ENTRIES ||
		data.len != HEADER_LEN + ENTRY_LEN * (size_t)count + TRAILER_LEN)
	{
		return "truncated or corrupt header";
	}
	if (untoh64(data.ptr + data.len - TRAILER_LEN) !=
		chunk_mac(chunk_create(data.ptr, data.len - TRAILER_LEN), mac_key))
	{
		return "checksum mismatch";
	}
	for (i = 0; i < count; i++)
	{
		entry = decode_entry(data.ptr + HEADER_LEN + ENTRY_LEN * i);
		if (!entry)
		{
			this->inherited->destroy_function(this->inherited,
											  (void*)inherited_destroy);
			this->inherited = linked_list_create();
			return "invalid entry";
		}
		this->inherited->insert_last(this->inherited, entry);
	}
	return NULL;
}

/**
 * Load the file found at start
 */
static void load(private_qcd_journal_t *this)
{
	chunk_t data = chunk_empty;
	struct stat st;
	char *error = NULL;
	ssize_t len;
	int fd;

	qcd_file_remove_stale(this->path, "journal file");
	/* O_NONBLOCK: opening a FIFO must not block charon */
	fd = open(this->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
	{
		if (errno != ENOENT)
		{
			DBG1(DBG_CFG, "qcd: opening journal file '%s' failed: %s; no push "
				 "after this start", this->path, strerror(errno));
		}
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		st.st_uid != geteuid())
	{
		error = "not a regular file owned by the user charon runs as";
	}
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
	{	/* whoever may write it chooses where we push to */
		error = "writable by group or others";
	}
	else if (st.st_size > HEADER_LEN + ENTRY_LEN *
			 (off_t)QCD_JOURNAL_MAX_ENTRIES + TRAILER_LEN)
	{
		error = "too large";
	}
	else
	{
		data = chunk_alloc(st.st_size);
		len = read(fd, data.ptr, data.len);
		if (len != data.len)
		{
			error = "read failed or file changed";
		}
		else
		{
			error = parse(this, data);
		}
		chunk_free(&data);
	}
	close(fd);
	if (error)
	{	/* never trusted in part: one bad byte may be in any entry */
		DBG1(DBG_CFG, "qcd: ignoring journal file '%s': %s; no push after "
			 "this start, peers detect it at their next DPD; the file is "
			 "replaced at the next write", this->path, error);
		this->dirty = TRUE;
		return;
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
	enumerator_t *enumerator;
	sa_t *sa;

	/* a failing last write must not schedule a job on a freed journal */
	this->mutex->lock(this->mutex);
	this->destroying = TRUE;
	this->mutex->unlock(this->mutex);
	flush(this);
	enumerator = this->sas->create_enumerator(this->sas);
	while (enumerator->enumerate(enumerator, NULL, &sa))
	{
		entry_clear(&sa->entry);
		free(sa);
	}
	enumerator->destroy(enumerator);
	this->sas->destroy(this->sas);
	this->inherited->destroy_function(this->inherited,
									  (void*)inherited_destroy);
	this->mutex->destroy(this->mutex);
	this->writing->destroy(this->writing);
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
			.destroy = _destroy,
		},
		.path = strdup(path),
		.sas = hashtable_create(hashtable_hash_ptr, hashtable_equals_ptr, 128),
		.inherited = linked_list_create(),
		.delay = delay,
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
		.writing = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	load(this);
	if (this->dirty)
	{	/* replace a file we ignored */
		changed(this);
	}
	return &this->public;
}
