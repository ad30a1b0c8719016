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

/*
 * qcd-status: print the status of charon's qcd plugin, read from its status
 * socket (see qcd_status.h for the protocol): per IKE_SA whether we hold
 * the peer's token and gave ours, and what the plugin counted.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include <library.h>
#include <collections/array.h>
#include <utils/debug.h>

#include "qcd_status.h"

/** Longest line of the answer we take */
#define LINE_MAX_LEN 1024

/**
 * Labels of the counters in the table, maker's left, taker's right
 */
static struct {
	char *name;
	char *label;
} maker_counters[] = {
	{ "tokens_sent",			"tokens given" },
	{ "replies_sent",			"replies with tokens" },
	{ "replies_notify",			"INVALID_IKE_SPI only" },
	{ "replies_dropped",		"dropped (reply limits)" },
	{ "requests_live",			"requests for live SAs" },
	{ "requests_unconfigured",	"requests without config" },
	{ "pushes_sent",			"pushes sent" },
}, taker_counters[] = {
	{ "tokens_stored",			"tokens stored" },
	{ "tokens_not_stored",		"tokens not stored" },
	{ "tokens_verified",		"tokens verified" },
	{ "tokens_rejected",		"tokens rejected" },
	{ "verify_dropped",			"dropped (verify limits)" },
	{ "nudges",					"IKE_SAs checked (nudge)" },
	{ "deletes",				"IKE_SAs deleted as lost" },
};

/**
 * Print usage and return the exit code
 */
static int usage(FILE *out, int code)
{
	fprintf(out,
		"usage: qcd-status [--uri URI] [--summary] [--raw]\n"
		"  --summary  leave out the IKE_SAs\n"
		"  --raw      print the lines as the plugin sends them, for scripts\n"
		"  --uri      status socket, default: charon.plugins.qcd.socket from\n"
		"             strongswan.conf, or " QCD_STATUS_SOCKET "\n");
	return code;
}

/**
 * Only errors on stderr
 */
static void dbg_stderr(debug_t group, level_t level, char *fmt, ...)
{
	va_list args;

	if (level <= 1)
	{
		va_start(args, fmt);
		vfprintf(stderr, fmt, args);
		fprintf(stderr, "\n");
		va_end(args);
	}
}

/**
 * Find the line with a keyword, NULL if none
 */
static char *find_line(array_t *lines, char *keyword)
{
	enumerator_t *enumerator;
	char *line, *found = NULL;
	size_t len = strlen(keyword);

	enumerator = array_create_enumerator(lines);
	while (enumerator->enumerate(enumerator, &line))
	{
		if (strneq(line, keyword, len) && (!line[len] || line[len] == ' '))
		{
			found = line;
			break;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * Get the value of key in a line, "-" if missing; into buf
 */
static char *get(char *line, char *key, char *buf, size_t len)
{
	char *pos = line;
	size_t klen = strlen(key), vlen;

	snprintf(buf, len, "-");
	while (pos && (pos = strchr(pos, ' ')))
	{
		pos++;
		if (strneq(pos, key, klen) && pos[klen] == '=')
		{
			pos += klen + 1;
			vlen = strcspn(pos, " ");
			snprintf(buf, len, "%.*s", (int)min(vlen, len - 1), pos);
			break;
		}
	}
	return buf;
}

/**
 * Print the plugin, store and journal lines
 */
static void print_plugin(array_t *lines)
{
	char *plugin, *store, *journal, *pos, *eq;
	char a[64], b[64], c[64], d[64];
	int shown = 0;
	size_t len;

	plugin = find_line(lines, "plugin") ?: "";
	store = find_line(lines, "store") ?: "";
	journal = find_line(lines, "journal") ?: "";

	if (streq(get(plugin, "maker", a, sizeof(a)), "on"))
	{
		printf("token maker  on, secret %s (%s generation(s)), method %s, "
			   "push %s\n", get(plugin, "secret", a, sizeof(a)),
			   get(plugin, "generations", b, sizeof(b)),
			   get(plugin, "method", c, sizeof(c)),
			   get(plugin, "push", d, sizeof(d)));
	}
	else
	{
		printf("token maker  off\n");
	}
	if (streq(get(plugin, "taker", a, sizeof(a)), "on"))
	{
		printf("token taker  on, nudge %s, %s of at most %s tokens stored\n",
			   get(plugin, "nudge", a, sizeof(a)),
			   get(store, "tokens", b, sizeof(b)),
			   get(store, "max_tokens", c, sizeof(c)));
	}
	else
	{
		printf("token taker  off\n");
	}
	printf("IKE_SAs      %s tracked\n", get(store, "ike_sas", a, sizeof(a)));
	/* whatever the journal reports, as it comes: "key value, ..." */
	printf("journal     ");
	for (pos = strchr(journal, ' '); pos; pos = strchr(pos, ' '))
	{
		pos++;
		len = strcspn(pos, " ");
		eq = memchr(pos, '=', len);
		if (eq)
		{
			printf("%s %.*s %.*s", shown++ ? "," : "", (int)(eq - pos), pos,
				   (int)(len - (eq - pos) - 1), eq + 1);
		}
	}
	printf("%s\n", shown ? "" : " -");
}

/**
 * Print the counters, two columns
 */
static void print_counters(array_t *lines)
{
	char *counters, *pos, l[32], r[32];
	int i, n = max(countof(maker_counters), countof(taker_counters));

	counters = find_line(lines, "counters") ?: "";
	printf("\n%-38s%s\n", "token maker", "token taker");
	for (i = 0; i < n; i++)
	{
		l[0] = r[0] = '\0';
		if (i < countof(maker_counters))
		{
			get(counters, maker_counters[i].name, l, sizeof(l));
		}
		if (i < countof(taker_counters))
		{
			get(counters, taker_counters[i].name, r, sizeof(r));
		}
		printf("  %-25s %8s   %-25s %8s\n",
			   i < countof(maker_counters) ? maker_counters[i].label : "", l,
			   i < countof(taker_counters) ? taker_counters[i].label : "", r);
	}
	/* counters of a later plugin that we have no label for */
	for (pos = strchr(counters, ' '); pos; pos = strchr(pos, ' '))
	{
		pos++;
		for (i = 0; i < countof(maker_counters); i++)
		{
			if (strpfx(pos, maker_counters[i].name) &&
				pos[strlen(maker_counters[i].name)] == '=')
			{
				break;
			}
		}
		if (i < countof(maker_counters))
		{
			continue;
		}
		for (i = 0; i < countof(taker_counters); i++)
		{
			if (strpfx(pos, taker_counters[i].name) &&
				pos[strlen(taker_counters[i].name)] == '=')
			{
				break;
			}
		}
		if (i == countof(taker_counters))
		{
			printf("  %.*s\n", (int)strcspn(pos, " "), pos);
		}
	}
}

/**
 * Print the IKE_SAs as a table
 */
static void print_sas(array_t *lines)
{
	enumerator_t *enumerator;
	char *line, name[80], uid[16], state[32], peer[64], theirs[16], ours[16];
	char label[100];
	int count = 0;

	enumerator = array_create_enumerator(lines);
	while (enumerator->enumerate(enumerator, &line))
	{
		if (!strpfx(line, "ike_sa "))
		{
			continue;
		}
		if (!count++)
		{
			printf("\n%-24s %-12s %-24s %-13s %s\n", "IKE_SA", "state",
				   "peer", "peer's token", "our token");
		}
		snprintf(label, sizeof(label), "%s[%s]",
				 get(line, "name", name, sizeof(name)),
				 get(line, "uid", uid, sizeof(uid)));
		printf("%-24s %-12s %-24s %-13s %s\n", label,
			   get(line, "state", state, sizeof(state)),
			   get(line, "peer", peer, sizeof(peer)),
			   get(line, "peer_token", theirs, sizeof(theirs)),
			   get(line, "our_token", ours, sizeof(ours)));
	}
	enumerator->destroy(enumerator);
	if (!count)
	{
		printf("\nno IKE_SAs\n");
	}
}

/**
 * Ask the plugin, collect the lines of its answer without the final "end";
 * returns FALSE if the answer is incomplete or an error
 */
static bool query(char *uri, bool summary, array_t *lines)
{
	char line[LINE_MAX_LEN], *request;
	stream_t *stream;
	bool complete = FALSE, error = FALSE;
	FILE *in;

	stream = lib->streams->connect(lib->streams, uri);
	if (!stream)
	{
		fprintf(stderr, "is charon running with the qcd plugin, and are you "
				"root or charon's user?\n");
		return FALSE;
	}
	request = summary ? "summary\n" : "status\n";
	if (!stream->write_all(stream, request, strlen(request)))
	{
		fprintf(stderr, "sending the request to '%s' failed: %s\n", uri,
				strerror(errno));
		stream->destroy(stream);
		return FALSE;
	}
	in = stream->get_file(stream);
	while (in && fgets(line, sizeof(line), in))
	{
		line[strcspn(line, "\n")] = '\0';
		if (streq(line, "end"))
		{
			complete = TRUE;
			break;
		}
		if (strpfx(line, "error"))
		{
			fprintf(stderr, "qcd plugin answered: %s\n", line);
			error = TRUE;
			continue;
		}
		array_insert(lines, ARRAY_TAIL, strdup(line));
	}
	if (in)
	{
		fclose(in);
	}
	stream->destroy(stream);
	if (!complete)
	{
		fprintf(stderr, "incomplete answer from '%s'\n", uri);
	}
	return complete && !error;
}

int main(int argc, char *argv[])
{
	struct option long_opts[] = {
		{ "uri", required_argument, NULL, 'u' },
		{ "summary", no_argument, NULL, 's' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	enumerator_t *enumerator;
	array_t *lines;
	char *uri = NULL, *line;
	bool raw = FALSE, summary = FALSE, ok;
	int c;

	while ((c = getopt_long(argc, argv, "u:srh", long_opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'u':
				uri = optarg;
				break;
			case 's':
				summary = TRUE;
				break;
			case 'r':
				raw = TRUE;
				break;
			case 'h':
				return usage(stdout, 0);
			default:
				return usage(stderr, 1);
		}
	}
	if (optind != argc)
	{
		return usage(stderr, 1);
	}

	/* a charon that goes away while we write is an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	dbg = dbg_stderr;
	if (!library_init(NULL, "qcd-status"))
	{
		fprintf(stderr, "initializing libstrongswan failed\n");
		library_deinit();
		return 1;
	}
	if (!uri)
	{
		uri = lib->settings->get_str(lib->settings, "charon.plugins.qcd.socket",
									 QCD_STATUS_SOCKET);
	}
	lines = array_create(0, 0);
	ok = query(uri, summary, lines);
	if (ok && raw)
	{
		enumerator = array_create_enumerator(lines);
		while (enumerator->enumerate(enumerator, &line))
		{
			printf("%s\n", line);
		}
		enumerator->destroy(enumerator);
		printf("end\n");
	}
	else if (ok)
	{
		print_plugin(lines);
		print_counters(lines);
		if (!summary)
		{
			print_sas(lines);
		}
	}
	array_destroy_function(lines, (void*)free, NULL);
	library_deinit();
	return ok ? 0 : 1;
}
