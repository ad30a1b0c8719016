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

#include "../qcd_tests.h"

#include <qcd_reply.h>

#include <encoding/payloads/notify_payload.h>

/**
 * A reply with count tokens of len bytes, token i filled with 0xa0 + i
 */
static size_t encode(u_char buf[QCD_REPLY_MAX_LEN], exchange_type_t exchange,
					 bool initiator, int count)
{
	static u_char tokens[QCD_SECRET_GENERATIONS][QCD_TOKEN_LEN];
	qcd_reply_t reply = {
		.spi_i = htobe64(0x0102030405060708ULL),
		.spi_r = htobe64(0x1112131415161718ULL),
		.exchange = exchange,
		.mid = 0x01020304,
		.initiator = initiator,
		.response = TRUE,
		.count = count,
	};
	int i;

	for (i = 0; i < count; i++)
	{
		memset(tokens[i], 0xa0 + i, QCD_TOKEN_LEN);
		reply.tokens[i] = chunk_create(tokens[i], QCD_TOKEN_LEN);
	}
	return qcd_reply_encode(&reply, buf);
}

START_TEST(test_encode_fields)
{
	u_char buf[QCD_REPLY_MAX_LEN], *pos;
	size_t len;
	int i;

	len = encode(buf, CREATE_CHILD_SA, FALSE, 4);
	ck_assert_int_eq(len, QCD_REPLY_MAX_LEN);
	ck_assert_int_eq(len, 28 + 8 + 4 * 40);
	/* header: SPIs, next payload N, version 2.0, exchange, flags, MID,
	 * length */
	ck_assert(memeq(buf, "\x01\x02\x03\x04\x05\x06\x07\x08", 8));
	ck_assert(memeq(buf + 8, "\x11\x12\x13\x14\x15\x16\x17\x18", 8));
	ck_assert_int_eq(buf[16], 41);
	ck_assert_int_eq(buf[17], 0x20);
	ck_assert_int_eq(buf[18], 36);
	ck_assert_int_eq(buf[19], 0x20);		/* R set, I clear */
	ck_assert_int_eq(untoh32(buf + 20), 0x01020304);
	ck_assert_int_eq(untoh32(buf + 24), len);

	/* N(INVALID_IKE_SPI) first, 8 bytes, no SPI (R4.5-1) */
	pos = buf + 28;
	ck_assert_int_eq(pos[0], 41);
	ck_assert_int_eq(pos[1], 0);
	ck_assert_int_eq(untoh16(pos + 2), 8);
	ck_assert_int_eq(pos[4], 0);
	ck_assert_int_eq(pos[5], 0);
	ck_assert_int_eq(untoh16(pos + 6), 4);

	/* then one N(QUICK_CRASH_DETECTION) per generation (R4.5-6) */
	for (i = 0, pos += 8; i < 4; i++, pos += 40)
	{
		ck_assert_int_eq(pos[0], i < 3 ? 41 : 0);
		ck_assert_int_eq(pos[1], 0);			/* not critical */
		ck_assert_int_eq(untoh16(pos + 2), 8 + QCD_TOKEN_LEN);
		/* protocol ID 0, erratum 3449 */
		ck_assert_int_eq(pos[4], 0);
		ck_assert_int_eq(pos[5], 0);			/* SPI size 0, R4.1-2 */
		ck_assert_int_eq(untoh16(pos + 6), 16419);	/* R4.1-3 */
		ck_assert_int_eq(pos[8], 0xa0 + i);
		ck_assert_int_eq(pos[8 + QCD_TOKEN_LEN - 1], 0xa0 + i);
	}
	ck_assert(pos == buf + len);
}
END_TEST

START_TEST(test_encode_flags)
{
	u_char buf[QCD_REPLY_MAX_LEN];
	size_t len;

	len = encode(buf, INFORMATIONAL, TRUE, 1);
	ck_assert_int_eq(len, 28 + 8 + 40);
	ck_assert_int_eq(buf[18], 37);
	ck_assert_int_eq(buf[19], 0x28);		/* R and I */
	/* INVALID_IKE_SPI alone, past the limits */
	len = encode(buf, INFORMATIONAL, TRUE, 0);
	ck_assert_int_eq(len, 28 + 8);
	ck_assert_int_eq(buf[28], 0);
}
END_TEST

START_TEST(test_parse_roundtrip)
{
	u_char buf[QCD_REPLY_MAX_LEN];
	qcd_reply_t reply;
	size_t len;
	int i;

	len = encode(buf, CREATE_CHILD_SA, TRUE, 4);
	ck_assert(qcd_reply_parse(chunk_create(buf, len), &reply));
	ck_assert(reply.spi_i == htobe64(0x0102030405060708ULL));
	ck_assert(reply.spi_r == htobe64(0x1112131415161718ULL));
	ck_assert_int_eq(reply.exchange, CREATE_CHILD_SA);
	ck_assert_int_eq(reply.mid, 0x01020304);
	ck_assert(reply.initiator);
	ck_assert(reply.response);
	ck_assert(reply.invalid_ike_spi);
	ck_assert_int_eq(reply.count, 4);
	for (i = 0; i < 4; i++)
	{
		ck_assert_int_eq(reply.tokens[i].len, QCD_TOKEN_LEN);
		ck_assert_int_eq(reply.tokens[i].ptr[0], 0xa0 + i);
		ck_assert(reply.tokens[i].ptr >= buf &&
				  reply.tokens[i].ptr + QCD_TOKEN_LEN <= buf + len);
	}
}
END_TEST

/**
 * Build a notify-only response by hand: INVALID_IKE_SPI (unless without),
 * then tokens of the given lengths, with protocol ID proto
 */
static chunk_t build(int count, size_t lens[], u_char proto, bool with_invalid)
{
	chunk_t msg = chunk_alloc(IKE_HEADER_LENGTH);
	u_char notify[8 + 200];
	int i;

	memset(msg.ptr, 0, msg.len);
	msg.ptr[0] = 1;
	msg.ptr[16] = with_invalid || count ? 41 : 0;
	msg.ptr[17] = 0x20;
	msg.ptr[18] = INFORMATIONAL;
	msg.ptr[19] = 0x20;
	for (i = with_invalid ? -1 : 0; i < count; i++)
	{
		size_t len = i < 0 ? 0 : lens[i];

		memset(notify, 0x55, sizeof(notify));
		notify[0] = i + 1 < count ? 41 : 0;
		notify[1] = 0;
		htoun16(notify + 2, 8 + len);
		notify[4] = proto;
		notify[5] = 0;
		htoun16(notify + 6, i < 0 ? INVALID_IKE_SPI : QUICK_CRASH_DETECTION);
		msg = chunk_cat("mc", msg, chunk_create(notify, 8 + len));
	}
	htoun32(msg.ptr + 24, msg.len);
	return msg;
}

START_TEST(test_parse_variants)
{
	size_t five[] = { 32, 32, 32, 32, 32 }, edge[] = { 16, 128 };
	size_t nine[] = { 16, 16, 16, 16, 16, 16, 16, 16, 16 };
	size_t short_[] = { 15 }, long_[] = { 129 };
	qcd_reply_t reply;
	chunk_t msg;

	/* 5 tokens, more than a maker sends, are fine (R4.5-5) */
	msg = build(5, five, 0, TRUE);
	ck_assert(qcd_reply_parse(msg, &reply));
	ck_assert_int_eq(reply.count, 5);
	chunk_free(&msg);
	/* 16 and 128 bytes are the limits (R5-2); RFC's protocol ID 1 too */
	msg = build(2, edge, 1, TRUE);
	ck_assert(qcd_reply_parse(msg, &reply));
	ck_assert_int_eq(reply.tokens[0].len, 16);
	ck_assert_int_eq(reply.tokens[1].len, 128);
	chunk_free(&msg);
	/* section 7's figure has no INVALID_IKE_SPI */
	msg = build(1, five, 0, FALSE);
	ck_assert(qcd_reply_parse(msg, &reply));
	ck_assert(!reply.invalid_ike_spi);
	chunk_free(&msg);

	msg = build(1, short_, 0, TRUE);
	ck_assert(!qcd_reply_parse(msg, &reply));
	chunk_free(&msg);
	msg = build(1, long_, 0, TRUE);
	ck_assert(!qcd_reply_parse(msg, &reply));
	chunk_free(&msg);
	msg = build(9, nine, 0, TRUE);
	ck_assert(!qcd_reply_parse(msg, &reply));
	chunk_free(&msg);
	/* no token at all */
	msg = build(0, NULL, 0, TRUE);
	ck_assert(!qcd_reply_parse(msg, &reply));
	chunk_free(&msg);
}
END_TEST

START_TEST(test_parse_malformed)
{
	u_char buf[QCD_REPLY_MAX_LEN];
	qcd_reply_t reply;
	size_t len, i;

	len = encode(buf, INFORMATIONAL, TRUE, 2);
	/* every truncation fails, with or without a fixed-up length field */
	for (i = 0; i < len; i++)
	{
		ck_assert(!qcd_reply_parse(chunk_create(buf, i), &reply));
		htoun32(buf + 24, i);
		ck_assert(!qcd_reply_parse(chunk_create(buf, i), &reply));
		htoun32(buf + 24, len);
	}
	/* a request is no reply */
	buf[19] = 0x08;
	ck_assert(!qcd_reply_parse(chunk_create(buf, len), &reply));
	buf[19] = 0x28;
	/* IKEv1 */
	buf[17] = 0x10;
	ck_assert(!qcd_reply_parse(chunk_create(buf, len), &reply));
	buf[17] = 0x20;
	/* a notify length running past the end */
	htoun16(buf + 28 + 8 + 40 + 2, 200);
	ck_assert(!qcd_reply_parse(chunk_create(buf, len), &reply));
	htoun16(buf + 28 + 8 + 40 + 2, 40);
	/* another payload type, e.g. SK */
	buf[16] = 46;
	ck_assert(!qcd_reply_parse(chunk_create(buf, len), &reply));
	buf[16] = 41;
	ck_assert(qcd_reply_parse(chunk_create(buf, len), &reply));
}
END_TEST

Suite *reply_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("reply");
	tc = tcase_create("encode");
	tcase_add_test(tc, test_encode_fields);
	tcase_add_test(tc, test_encode_flags);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_roundtrip);
	tcase_add_test(tc, test_parse_variants);
	tcase_add_test(tc, test_parse_malformed);
	suite_add_tcase(s, tc);
	return s;
}
