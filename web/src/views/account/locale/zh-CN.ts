export default {
  profile: '基本信息',
  security: '修改密码',
  securityDescription: '修改后，其他设备上的登录将失效，需要重新登录。',
  username: '用户名',
  displayName: '显示名称',
  role: '角色',
  status: '状态',
  lastLogin: '上次登录',
  createdAt: '创建时间',
  capabilities: {
    title: '我的权限',
    description: '{role}角色可以使用以下 {count} 项功能',
    empty: '当前角色未被授予任何功能权限，请联系管理员。',
  },
  forced: {
    title: '请修改初始密码',
    description: '{name}，为了账号安全，首次登录或密码被重置后须设置新密码，完成后才能继续使用系统。',
    submit: '修改密码并进入系统',
  },
};
