package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The operator's inventory as Ansible sees it ({@code ansible-inventory --list}, run as
 * an argument list with the engine's {@code ansible.cfg}): which hosts and groups exist,
 * and the variables each host gets from {@code host_vars}/{@code group_vars}. Read on
 * first use, re-read when older than {@code aegir.ansible.inventory-max-age}, or sooner
 * (at most every {@code inventory-refresh-interval}) when a submission names something
 * the last read did not know.
 */
@Component
@ConditionalOnProperty(prefix = "aegir.ansible", name = "enabled", havingValue = "true", matchIfMissing = true)
public class AnsibleInventory {

	private static final Logger log = LoggerFactory.getLogger(AnsibleInventory.class);

	private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

	private static final int MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

	private final AnsibleProperties ansible;

	private final InventoryProperties properties;

	private final JsonMapper json;

	private final PlaybookEnvironment environment;

	private volatile Snapshot snapshot;

	public AnsibleInventory(AnsibleProperties ansible, InventoryProperties properties, JsonMapper json,
			PlaybookEnvironment environment) {
		this.ansible = ansible;
		this.environment = environment;
		this.properties = properties;
		this.json = json;
	}

	/**
	 * What the inventory holds: its groups (each with every host it contains, through its
	 * children too) and each host's variables.
	 */
	public record Snapshot(Map<String, Set<String>> groups, Map<String, Map<String, Object>> hostVars, Instant readAt) {

		/**
		 * The hosts a name stands for: the host itself, a group's hosts, or none if the
		 * inventory has no such name.
		 */
		public Set<String> resolve(String name) {
			if (hostVars.containsKey(name)) {
				return Set.of(name);
			}
			return groups.getOrDefault(name, Set.of());
		}

		public boolean knows(String name) {
			return hostVars.containsKey(name) || groups.containsKey(name);
		}

	}

	/**
	 * The last read, or a new one when there is none or it is older than the maximum age.
	 */
	public Snapshot snapshot() {
		Snapshot current = snapshot;
		if (current == null || current.readAt().plus(properties.inventoryMaxAge()).isBefore(Instant.now())) {
			return read(current);
		}
		return current;
	}

	/**
	 * A fresh read, unless the last one is younger than the refresh interval (so unknown
	 * names cannot make us fork at will).
	 */
	public Snapshot refreshed() {
		Snapshot current = snapshot;
		if (current != null && current.readAt().plus(properties.inventoryRefreshInterval()).isAfter(Instant.now())) {
			return current;
		}
		return read(current);
	}

	private synchronized Snapshot read(Snapshot seen) {
		if (snapshot != seen) {
			// Another thread read it while this one waited.
			return snapshot;
		}
		List<String> command = new ArrayList<>(properties.inventoryCommand());
		command.addAll(List.of("-i", ansible.inventory().toAbsolutePath().toString(), "--list"));
		try {
			// Inventory plugins and scripts run here too: the same built environment as a
			// run.
			ProcessBuilder builder = PlaybookEnvironment.applyTo(
					new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD), environment.tool());
			Process process = builder.start();
			process.getOutputStream().close();
			CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
			if (!process.waitFor(READ_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				process.destroyForcibly();
				throw new InventoryUnavailableException(
						"reading the inventory took longer than " + READ_TIMEOUT.toSeconds() + "s");
			}
			byte[] bytes = output.get(READ_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			if (process.exitValue() != 0) {
				throw new InventoryUnavailableException(command.get(0) + " exited with code " + process.exitValue());
			}
			Snapshot read = parse(json.readTree(new String(bytes, StandardCharsets.UTF_8)));
			log.info("Inventory {}: {} hosts, {} groups", ansible.inventory(), read.hostVars().size(),
					read.groups().size());
			snapshot = read;
			return read;
		}
		catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
			throw new InventoryUnavailableException(
					"cannot read the inventory with " + command.get(0) + ": " + ex.getMessage());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InventoryUnavailableException("interrupted while reading the inventory");
		}
		catch (RuntimeException ex) {
			if (ex instanceof InventoryUnavailableException) {
				throw ex;
			}
			throw new InventoryUnavailableException(
					"the inventory listing could not be understood: " + ex.getMessage());
		}
	}

	private static byte[] readAll(InputStream in) {
		try (in) {
			byte[] bytes = in.readNBytes(MAX_OUTPUT_BYTES);
			in.transferTo(java.io.OutputStream.nullOutputStream());
			return bytes;
		}
		catch (IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	@SuppressWarnings("unchecked")
	private Snapshot parse(JsonNode root) {
		Map<String, Map<String, Object>> hostVars = new HashMap<>();
		JsonNode meta = root.path("_meta").path("hostvars");
		meta.properties().forEach(e -> hostVars.put(e.getKey(), json.convertValue(e.getValue(), Map.class)));
		Map<String, List<String>> directHosts = new HashMap<>();
		Map<String, List<String>> children = new HashMap<>();
		root.properties().forEach(e -> {
			if (e.getKey().equals("_meta")) {
				return;
			}
			directHosts.put(e.getKey(), names(e.getValue().path("hosts")));
			children.put(e.getKey(), names(e.getValue().path("children")));
			names(e.getValue().path("hosts")).forEach(h -> hostVars.putIfAbsent(h, Map.of()));
		});
		Map<String, Set<String>> groups = new HashMap<>();
		for (String group : directHosts.keySet()) {
			Set<String> members = new LinkedHashSet<>();
			Set<String> visited = new java.util.HashSet<>();
			Deque<String> pending = new ArrayDeque<>(List.of(group));
			while (!pending.isEmpty()) {
				String next = pending.pop();
				if (visited.add(next)) {
					members.addAll(directHosts.getOrDefault(next, List.of()));
					pending.addAll(children.getOrDefault(next, List.of()));
				}
			}
			groups.put(group, Set.copyOf(members));
		}
		// "all" also holds hosts listed only under _meta.
		groups.put("all", Set.copyOf(hostVars.keySet()));
		return new Snapshot(Map.copyOf(groups), Map.copyOf(hostVars), Instant.now());
	}

	private static List<String> names(JsonNode array) {
		List<String> names = new ArrayList<>();
		array.forEach(n -> names.add(n.asString()));
		return names;
	}

	/** The inventory could not be read: a deployment problem, not the client's. */
	public static class InventoryUnavailableException extends RuntimeException {

		public InventoryUnavailableException(String message) {
			super(message);
		}

	}

}
