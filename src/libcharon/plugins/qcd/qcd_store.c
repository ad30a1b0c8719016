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

#include "qcd_store.h"

#include <collections/hashtable.h>
#include <threading/mutex.h>

ENUM(qcd_match_names, QCD_MATCH_NO_SA, QCD_MATCH_OK,
	"no IKE_SA",
	"no stored token",
	"token mismatch",
	"answers none of our requests, IKE_SA checked lately",
	"answers none of our requests",
	"token verified",
);

typedef struct private_qcd_store_t private_qcd_store_t;
typedef struct spis_t spis_t;
typedef struct entry_t entry_t;

/**
 * Hash table key: the SPIs in network order, regardless of the role
 */
struct spis_t {
	uint64_t i;
	uint64_t r;
};

/**
 * Data kept per IKE_SA, fixed size, no further allocations
 */
struct entry_t {
	/** key, must be first */
	spis_t spis;
	/** unique ID of the IKE_SA, which survives a reset of its SPIs */
	u_int uid;
	/** message ID of our last request */
	uint32_t mid;
	/** monotonic time in seconds of the last QCD_MATCH_NUDGE, 0 if none */
	uint32_t nudged;
	/** SHA-256 of the peer's token (R1.1-3), so memory holds no token */
	u_char digest[HASH_SIZE_SHA256];
	/** SHA-256 of a token not yet usable: received before the peer was
	 * authenticated, or in a rekey response for the new SA's SPIs */
	u_char pending[HASH_SIZE_SHA256];
	/** we gave the peer our token for these SPIs; here, in what would be
	 * padding before successor */
	bool given;
	/** the peer's last usable token found no room, max_tokens reached */
	bool full;
	/** SPIs of the new SA to send a token for in a rekey response */
	spis_t successor;
	/** copy of our outstanding request as sent, to send it once more out
	 * of band, see resend(); allocated only while it is outstanding */
	chunk_t packet;
	/** exchange type of our outstanding request, 0 if none */
	uint8_t exchange;
	/** we are the original initiator of the SA */
	bool initiator;
	/** digest holds a token's */
	bool has_token;
	/** pending holds a token's */
	bool has_pending;
	/** pending is for the new SA of an IKE rekey */
	bool pending_rekey;
	/** a token for this SA is owed in our first request on it */
	bool owed;
	/** packet was sent once more out of band */
	bool resent;
};

/**
 * Private data of a qcd_store_t object.
 */
struct private_qcd_store_t {

	/**
	 * Public interface.
	 */
	qcd_store_t public;

	/**
	 * spis_t => entry_t
	 */
	hashtable_t *entries;

	/**
	 * unique ID => entry_t, the same entries
	 */
	hashtable_t *by_uid;

	/**
	 * Number of stored tokens
	 */
	u_int tokens;

	/**
	 * Most tokens stored
	 */
	u_int max_tokens;

	/**
	 * SHA-256 for token digests, created when first needed
	 */
	hasher_t *hasher;

	/**
	 * Protects the table and the hasher
	 */
	mutex_t *mutex;
};

/**
 * Hash SPIs
 */
static u_int hash_spis(spis_t *key)
{
	return chunk_hash(chunk_from_thing(*key));
}

/**
 * Compare SPIs
 */
static bool equals_spis(spis_t *a, spis_t *b)
{
	return a->i == b->i && a->r == b->r;
}

/**
 * Key of an ID
 */
static spis_t spis_of(ike_sa_id_t *id)
{
	return (spis_t){
		.i = id->get_initiator_spi(id),
		.r = id->get_responder_spi(id),
	};
}

/**
 * Wipe the token digest of an entry
 */
static void clear_token(private_qcd_store_t *this, entry_t *entry)
{
	if (entry->has_token)
	{
		memwipe(entry->digest, sizeof(entry->digest));
		entry->has_token = FALSE;
		this->tokens--;
	}
}

/**
 * Wipe the pending token digest of an entry
 */
static void clear_pending(entry_t *entry)
{
	memwipe(entry->pending, sizeof(entry->pending));
	entry->has_pending = entry->pending_rekey = FALSE;
}

/**
 * Forget the packet of our outstanding request
 */
static void clear_packet(entry_t *entry)
{
	chunk_free(&entry->packet);
	entry->resent = FALSE;
}

/**
 * Destroy an entry, the caller removed it from both tables
 */
static void destroy_entry(private_qcd_store_t *this, entry_t *entry)
{
	clear_token(this, entry);
	clear_pending(entry);
	clear_packet(entry);
	free(entry);
}

/**
 * Remove and destroy an entry, the caller holds the lock
 */
static void remove_entry(private_qcd_store_t *this, entry_t *entry)
{
	this->entries->remove(this->entries, &entry->spis);
	this->by_uid->remove(this->by_uid, (void*)(uintptr_t)entry->uid);
	destroy_entry(this, entry);
}

/**
 * Hash a token, the caller holds the lock
 */
static bool digest(private_qcd_store_t *this, chunk_t token,
				   u_char out[HASH_SIZE_SHA256])
{
	if (!this->hasher)
	{
		this->hasher = lib->crypto->create_hasher(lib->crypto, HASH_SHA256);
		if (!this->hasher)
		{
			DBG1(DBG_IKE, "qcd: SHA-256 not available, cannot store tokens");
			return FALSE;
		}
	}
	return this->hasher->get_hash(this->hasher, token, out);
}

/**
 * Find the entry of an SA, the caller holds the lock
 */
static entry_t *find(private_qcd_store_t *this, ike_sa_id_t *id)
{
	spis_t key = spis_of(id);

	return this->entries->get(this->entries, &key);
}

/**
 * Find or create the entry of an SA, the caller holds the lock.  An entry
 * the SA had under other SPIs, before charon reset it (a new initiator SPI
 * after an IKE_AUTH timeout with keyingtries, or a redirect while
 * connecting), is removed: nothing else would ever remove it.
 */
static entry_t *get_or_add(private_qcd_store_t *this, ike_sa_id_t *id,
						   u_int uid)
{
	entry_t *entry = find(this, id), *old;

	if (!entry)
	{
		old = this->by_uid->get(this->by_uid, (void*)(uintptr_t)uid);
		if (old)
		{
			remove_entry(this, old);
		}
		INIT(entry,
			.spis = spis_of(id),
			.uid = uid,
			.initiator = id->is_initiator(id),
		);
		this->entries->put(this->entries, &entry->spis, entry);
		this->by_uid->put(this->by_uid, (void*)(uintptr_t)uid, entry);
	}
	return entry;
}

METHOD(qcd_store_t, add, void,
	private_qcd_store_t *this, ike_sa_id_t *id, u_int uid)
{
	this->mutex->lock(this->mutex);
	get_or_add(this, id, uid);
	this->mutex->unlock(this->mutex);
}

METHOD(qcd_store_t, remove_, void,
	private_qcd_store_t *this, u_int uid)
{
	entry_t *entry;

	this->mutex->lock(this->mutex);
	entry = this->by_uid->get(this->by_uid, (void*)(uintptr_t)uid);
	if (entry)
	{
		remove_entry(this, entry);
	}
	this->mutex->unlock(this->mutex);
}

METHOD(qcd_store_t, contains, bool,
	private_qcd_store_t *this, uint64_t spi_i, uint64_t spi_r)
{
	spis_t key = { .i = spi_i, .r = spi_r };
	bool found;

	this->mutex->lock(this->mutex);
	found = this->entries->get(this->entries, &key) != NULL;
	this->mutex->unlock(this->mutex);
	return found;
}

/**
 * Make a token digest the token of an entry, if there is room, the caller
 * holds the lock
 */
static bool use_digest(private_qcd_store_t *this, entry_t *to,
					   u_char hash[HASH_SIZE_SHA256])
{
	clear_token(this, to);
	to->full = this->tokens >= this->max_tokens;
	if (!to->full)
	{
		memcpy(to->digest, hash, sizeof(to->digest));
		to->has_token = TRUE;
		this->tokens++;
		return TRUE;
	}
	return FALSE;
}

/**
 * Make the pending token of an entry its token, or another entry's, if
 * there is room, the caller holds the lock
 */
static bool promote(private_qcd_store_t *this, entry_t *from, entry_t *to)
{
	bool ok = FALSE;

	if (from->has_pending)
	{
		ok = use_digest(this, to, from->pending);
		clear_pending(from);
	}
	return ok;
}

METHOD(qcd_store_t, set_token, bool,
	private_qcd_store_t *this, ike_sa_id_t *id, chunk_t token,
	qcd_token_use_t use)
{
	u_char hash[HASH_SIZE_SHA256];
	entry_t *entry;
	bool ok = FALSE;

	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry && digest(this, token, hash))
	{
		if (use == QCD_TOKEN_USABLE)
		{	/* a token kept aside for a rekey stays where it is */
			ok = use_digest(this, entry, hash);
		}
		else
		{
			memcpy(entry->pending, hash, sizeof(entry->pending));
			entry->has_pending = TRUE;
			entry->pending_rekey = use == QCD_TOKEN_FOR_REKEY;
			ok = TRUE;
		}
	}
	memwipe(hash, sizeof(hash));
	this->mutex->unlock(this->mutex);
	return ok;
}

METHOD(qcd_store_t, confirm, bool,
	private_qcd_store_t *this, ike_sa_id_t *id)
{
	entry_t *entry;
	bool ok = FALSE;

	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry && entry->pending_rekey)
	{	/* back to established after a failed rekey: the token was for SPIs
		 * that never became an SA, never for this one (R4.3-1) */
		clear_pending(entry);
	}
	else if (entry)
	{
		ok = promote(this, entry, entry);
	}
	this->mutex->unlock(this->mutex);
	return ok;
}

METHOD(qcd_store_t, set_request, void,
	private_qcd_store_t *this, ike_sa_id_t *id, uint32_t mid,
	exchange_type_t exchange)
{
	entry_t *entry;

	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry)
	{
		entry->mid = mid;
		entry->exchange = exchange;
		clear_packet(entry);
	}
	this->mutex->unlock(this->mutex);
}

METHOD(qcd_store_t, set_packet, void,
	private_qcd_store_t *this, ike_sa_id_t *id, uint32_t mid, chunk_t data)
{
	entry_t *entry;

	if (!data.len || data.len > QCD_RESEND_MAX)
	{
		return;
	}
	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry && entry->exchange && entry->mid == mid)
	{
		clear_packet(entry);
		entry->packet = chunk_clone(data);
	}
	this->mutex->unlock(this->mutex);
}

METHOD(qcd_store_t, resend, bool,
	private_qcd_store_t *this, ike_sa_id_t *id, uint32_t mid, chunk_t *data)
{
	entry_t *entry;
	bool ok = FALSE;

	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry && entry->exchange && entry->mid == mid &&
		entry->packet.len && !entry->resent)
	{
		entry->resent = TRUE;
		*data = chunk_clone(entry->packet);
		ok = TRUE;
	}
	this->mutex->unlock(this->mutex);
	return ok;
}

METHOD(qcd_store_t, answered, void,
	private_qcd_store_t *this, ike_sa_id_t *id, uint32_t mid)
{
	entry_t *entry;

	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry && entry->mid == mid)
	{
		entry->exchange = 0;
		clear_packet(entry);
	}
	this->mutex->unlock(this->mutex);
}

METHOD(qcd_store_t, outstanding, bool,
	private_qcd_store_t *this, ike_sa_id_t *id, uint32_t *mid)
{
	entry_t *entry;
	bool found = FALSE;

	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry && entry->exchange)
	{
		*mid = entry->mid;
		found = TRUE;
	}
	this->mutex->unlock(this->mutex);
	return found;
}

METHOD(qcd_store_t, rekey, void,
	private_qcd_store_t *this, ike_sa_id_t *old_id, ike_sa_id_t *new_id,
	u_int new_uid, bool initiator, bool owe)
{
	entry_t *old, *new;

	this->mutex->lock(this->mutex);
	new = get_or_add(this, new_id, new_uid);
	old = find(this, old_id);
	if (old && initiator)
	{	/* the token in the rekey response, which arrived on the old SA, is
		 * the one for the new SPIs (R4.3-2) */
		if (old->pending_rekey)
		{
			promote(this, old, new);
		}
	}
	else if (old)
	{	/* the old SA's token is not moved: a token is for one SPI pair
		 * (R4.3-1, R5.3-1), and a maker that binds it to the SPIs (5.1)
		 * answers for the new SA with another one.  The old token may even
		 * be known by now: a maker answers requests for the old, deleted
		 * SPIs in clear.  The peer sends the new SA's token in an
		 * INFORMATIONAL on it right after the rekey (R4.3-3). */
		old->successor = new->spis;
	}
	/* as responder, owed only if the rekey response goes out without it:
	 * in a collision charon may raise ike_rekey after it sent it, and the
	 * token then goes in our first request on the new SA */
	new->owed = owe;
	this->mutex->unlock(this->mutex);
}

METHOD(qcd_store_t, owe, void,
	private_qcd_store_t *this, ike_sa_id_t *id)
{
	entry_t *entry;

	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry)
	{
		entry->owed = TRUE;
	}
	this->mutex->unlock(this->mutex);
}

METHOD(qcd_store_t, take_owed, bool,
	private_qcd_store_t *this, ike_sa_id_t *id, bool response,
	uint64_t *spi_i, uint64_t *spi_r)
{
	entry_t *entry;
	spis_t spis = {};

	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry && response && entry->successor.r)
	{
		spis = entry->successor;
		entry->successor = (spis_t){};
		/* given in the rekey response, not owed in a request any more */
		entry = this->entries->get(this->entries, &spis);
		if (entry)
		{
			entry->owed = FALSE;
		}
	}
	else if (entry && !response && entry->owed)
	{
		spis = entry->spis;
		entry->owed = FALSE;
	}
	this->mutex->unlock(this->mutex);
	*spi_i = spis.i;
	*spi_r = spis.r;
	return spis.r != 0;
}

METHOD(qcd_store_t, given, void,
	private_qcd_store_t *this, ike_sa_id_t *id)
{
	entry_t *entry;

	this->mutex->lock(this->mutex);
	entry = find(this, id);
	if (entry)
	{
		entry->given = TRUE;
	}
	this->mutex->unlock(this->mutex);
}

METHOD(qcd_store_t, get_info, bool,
	private_qcd_store_t *this, u_int uid, qcd_store_info_t *info)
{
	entry_t *entry;

	this->mutex->lock(this->mutex);
	entry = this->by_uid->get(this->by_uid, (void*)(uintptr_t)uid);
	if (entry)
	{
		*info = (qcd_store_info_t){
			.token = entry->has_token,
			.pending = entry->has_pending,
			.full = entry->full,
			.given = entry->given,
			.owed = entry->owed,
		};
	}
	this->mutex->unlock(this->mutex);
	return entry != NULL;
}

METHOD(qcd_store_t, match, qcd_match_t,
	private_qcd_store_t *this, qcd_reply_t *reply, ike_sa_id_t **id)
{
	spis_t key = { .i = reply->spi_i, .r = reply->spi_r };
	qcd_match_t result = QCD_MATCH_MISMATCH;
	u_char hash[HASH_SIZE_SHA256];
	entry_t *entry;
	bool found = FALSE;
	uint32_t now;
	int i;

	this->mutex->lock(this->mutex);
	entry = this->entries->get(this->entries, &key);
	if (!entry)
	{
		result = QCD_MATCH_NO_SA;
	}
	else if (!entry->has_token)
	{
		result = QCD_MATCH_NO_TOKEN;
	}
	else
	{
		/* compare all, in constant time, without exiting early (R5-7) */
		for (i = 0; i < reply->count; i++)
		{
			found |= digest(this, reply->tokens[i], hash) &&
					 memeq_const(hash, entry->digest, sizeof(hash));
		}
		memwipe(hash, sizeof(hash));
		now = time_monotonic(NULL);
		if (!found)
		{
			result = QCD_MATCH_MISMATCH;
		}
		else if (entry->exchange && entry->mid == reply->mid &&
				 (reply->exchange == INFORMATIONAL ||
				  reply->exchange == entry->exchange))
		{
			result = QCD_MATCH_OK;
		}
		else if (entry->nudged && now - entry->nudged < QCD_NUDGE_INTERVAL)
		{
			result = QCD_MATCH_NUDGED;
		}
		else
		{
			entry->nudged = now;
			result = QCD_MATCH_NUDGE;
		}
		if (result == QCD_MATCH_OK || result == QCD_MATCH_NUDGE)
		{
			*id = ike_sa_id_create(IKEV2_MAJOR_VERSION, entry->spis.i,
								   entry->spis.r, entry->initiator);
		}
	}
	this->mutex->unlock(this->mutex);
	return result;
}

METHOD(qcd_store_t, get_count, u_int,
	private_qcd_store_t *this, u_int *tokens)
{
	u_int count;

	this->mutex->lock(this->mutex);
	count = this->entries->get_count(this->entries);
	if (tokens)
	{
		*tokens = this->tokens;
	}
	this->mutex->unlock(this->mutex);
	return count;
}

METHOD(qcd_store_t, destroy, void,
	private_qcd_store_t *this)
{
	enumerator_t *enumerator;
	entry_t *entry;

	enumerator = this->entries->create_enumerator(this->entries);
	while (enumerator->enumerate(enumerator, NULL, &entry))
	{
		destroy_entry(this, entry);
	}
	enumerator->destroy(enumerator);
	this->entries->destroy(this->entries);
	this->by_uid->destroy(this->by_uid);
	DESTROY_IF(this->hasher);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
qcd_store_t *qcd_store_create(u_int max_tokens)
{
	private_qcd_store_t *this;

	INIT(this,
		.public = {
			.add = _add,
			.remove = _remove_,
			.contains = _contains,
			.set_token = _set_token,
			.confirm = _confirm,
			.set_request = _set_request,
			.set_packet = _set_packet,
			.resend = _resend,
			.answered = _answered,
			.outstanding = _outstanding,
			.rekey = _rekey,
			.owe = _owe,
			.take_owed = _take_owed,
			.given = _given,
			.get_info = _get_info,
			.match = _match,
			.get_count = _get_count,
			.destroy = _destroy,
		},
		.entries = hashtable_create((hashtable_hash_t)hash_spis,
									(hashtable_equals_t)equals_spis, 128),
		.by_uid = hashtable_create(hashtable_hash_ptr, hashtable_equals_ptr,
								   128),
		.max_tokens = max_tokens,
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
