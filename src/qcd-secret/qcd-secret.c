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
 * qcd-secret: create, rotate and inspect the QCD secret file of the qcd
 * plugin.  Secrets are never printed, only their fingerprint.
 */

#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include <library.h>
#include <utils/debug.h>

#include "qcd_secret.h"

/**
 * Print usage and return the exit code
 */
static int usage(FILE *out, int code)
{
	fprintf(out,
		"usage: qcd-secret [--file FILE] --show | --create | --rotate\n"
		"  --show    print the fingerprint and number of generations\n"
		"  --create  create the file if it is missing\n"
		"  --rotate  make a new current secret, keeping up to 3 old ones;\n"
		"            then run 'swanctl --reload-settings'\n"
		"  --file    secret file, default: charon.plugins.qcd.secret_file\n"
		"            from strongswan.conf, or /var/lib/strongswan/qcd.secret\n");
	return code;
}

/**
 * Only errors on stderr, as the plugin's log lines
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

int main(int argc, char *argv[])
{
	struct option long_opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "show", no_argument, NULL, 's' },
		{ "create", no_argument, NULL, 'c' },
		{ "rotate", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	qcd_secret_t *secret;
	char *path = NULL, *user, *group;
	int c, action = 0, code = 1;

	while ((c = getopt_long(argc, argv, "f:scrh", long_opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'f':
				path = optarg;
				break;
			case 's':
			case 'c':
			case 'r':
				action = c;
				break;
			case 'h':
				return usage(stdout, 0);
			default:
				return usage(stderr, 1);
		}
	}
	if (!action || optind != argc)
	{
		return usage(stderr, 1);
	}

	dbg = dbg_stderr;
	if (!library_init(NULL, "qcd-secret") ||
		!lib->plugins->load(lib->plugins, "random openssl sha2 hmac"))
	{
		fprintf(stderr, "initializing libstrongswan failed\n");
		library_deinit();
		return 1;
	}
	/* a new file belongs to the user charon drops its privileges to, so
	 * that it can reload it, see qcd_file_save() */
	user = lib->settings->get_str(lib->settings, "charon.user", NULL);
	group = lib->settings->get_str(lib->settings, "charon.group", NULL);
	if ((user && !lib->caps->resolve_uid(lib->caps, user)) ||
		(group && !lib->caps->resolve_gid(lib->caps, group)))
	{
		fprintf(stderr, "charon.user or charon.group in strongswan.conf is "
				"unknown\n");
		library_deinit();
		return 1;
	}
	if (!path)
	{
		path = lib->settings->get_str(lib->settings,
									  "charon.plugins.qcd.secret_file",
									  "/var/lib/strongswan/qcd.secret");
	}
	if (action == 'c' && access(path, F_OK) == 0)
	{
		fprintf(stderr, "'%s' exists, not touching it\n", path);
		library_deinit();
		return 1;
	}
	secret = qcd_secret_load(path, action == 'c');
	if (secret)
	{
		code = 0;
		if (action == 'r')
		{
			code = secret->rotate(secret, path) ? 0 : 1;
		}
		if (!code)
		{
			printf("%s: fingerprint %s, %d generation(s)%s\n", path,
				   secret->get_fingerprint(secret), secret->get_count(secret),
				   action == 'r' ? "; now run 'swanctl --reload-settings'" : "");
		}
		secret->destroy(secret);
	}
	library_deinit();
	return code;
}
