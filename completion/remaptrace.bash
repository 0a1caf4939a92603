# bash completion for remaptrace(1)                      -*- shell-script -*-
#
# Installed as .../share/bash-completion/completions/remaptrace, where the
# bash-completion package loads it on first use.  The options are those of
# tracer/main.c (remaptrace --help); the errno names those remaptrace
# parses (emu/names.c).  tests/integration/80-package.bats holds the three
# lists to each other.

# The errno names --mode=deny= and --inject= take (a number works too).
_remaptrace_errnos='EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF
ECHILD EAGAIN ENOMEM EACCES EFAULT ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR
EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE EROFS EMLINK
EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY ELOOP ENOMSG
EIDRM ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE EBADR
EXFULL ENOANO EBADRQC EBADSLT EBFONT ENOSTR ENODATA ETIME ENOSR ENONET ENOPKG
EREMOTE ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT EBADMSG EOVERFLOW
ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX ELIBEXEC EILSEQ
ERESTART ESTRPIPE EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE
ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP EPFNOSUPPORT
EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN ENETUNREACH ENETRESET
ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN ETOOMANYREFS
ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY EINPROGRESS ESTALE
EUCLEAN ENOTNAM ENAVAIL EISNAM EREMOTEIO EDQUOT ENOMEDIUM EMEDIUMTYPE
ECANCELED ENOKEY EKEYEXPIRED EKEYREVOKED EKEYREJECTED EOWNERDEAD
ENOTRECOVERABLE ERFKILL EHWPOISON'

_remaptrace_options='-o --output= -f -ff --follow-forks --output-separately
-q --quiet -v --verbose -k --stack-trace --json -u --user= --signal=
-c --summary --layout --mode= --inject= -e --kill-on-exit --no-pin
--no-agent -Z --failed-only -z --successful-only -T --syscall-times -t -r
--relative-timestamps -h --help -V --version'

# `remaptrace explain -p PID START SIZE PROT PGOFF [FLAGS]`
_remaptrace_explain()
{
	case $prev in
	-p | --pid)
		_pids
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '-p --pid= -h --help' -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
	fi
}

_remaptrace()
{
	local cur prev words cword split
	_init_completion -s || return

	if [[ ${words[1]-} == explain ]] && ((cword > 1)); then
		_remaptrace_explain
		return
	fi

	# Options end at "--" or at the first word that is not one (getopt's
	# "+"): from there on, the program and its own arguments.
	local i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--)
			_command_offset $((i + 1))
			return
			;;
		-o | --output | --mode | --inject | -e | -u | --user | \
			--signal | -[!-]*[ou])
			((i++))	# their argument is the next word
			;;
		-*) ;;
		*)
			_command_offset $i
			return
			;;
		esac
	done

	# Readline completes only what follows the last '=' or '@' of the
	# word, so a value is completed from there (deny=EN -> ENOENT).
	case $prev in
	-o | --output)
		_filedir
		return
		;;
	-u | --user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return
		;;
	--signal)
		COMPREPLY=($(compgen -W 'all none' -- "$cur"))
		return
		;;
	--mode)
		if [[ $cur == deny=* ]]; then
			COMPREPLY=($(compgen -W "$_remaptrace_errnos" \
				-- "${cur#deny=}"))
		else
			COMPREPLY=($(compgen -W 'emulate check deny' -- "$cur"))
		fi
		return
		;;
	--inject)
		# ERRNO@N[+]: the name, then '@'; N is the user's to type
		if [[ $cur != *@* ]]; then
			COMPREPLY=($(compgen -W "$_remaptrace_errnos" -S @ \
				-- "$cur"))
			compopt -o nospace
		fi
		return
		;;
	esac
	[[ $split == true ]] && return

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_remaptrace_options" -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi
	# the program to run, or the explain subcommand
	_command_offset $cword
	((cword == 1)) && COMPREPLY+=($(compgen -W explain -- "$cur"))
}
complete -F _remaptrace remaptrace

# ex: filetype=sh
